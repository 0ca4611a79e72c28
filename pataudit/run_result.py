"""Everything one run produced, handed from the engine to the writers, the report and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from pataudit.checks.catalog import Catalog
from pataudit.checks.params import ResolvedParams
from pataudit.collectors.base import SourceRecord
from pataudit.config import Config


@dataclass
class RunResult:
    """A finished check: metadata, inventory, findings, scores and the context they were made in."""

    run_id: str
    config: Config
    config_sha256: str
    as_of: datetime
    started_at: datetime
    catalog: Catalog
    params: dict[str, ResolvedParams]
    enabled_controls: list[str]
    records: list[SourceRecord]
    inventory: pd.DataFrame
    findings: pd.DataFrame
    scores: pd.DataFrame
    overall_score: float | None
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    previous_open: pd.DataFrame = field(default_factory=pd.DataFrame)
    first_failed: pd.DataFrame = field(default_factory=pd.DataFrame)
    remediation: dict | None = None

    @property
    def complete(self) -> bool:
        """True when every source was read in full."""
        return all(record.complete for record in self.records)
