"""Helpers for rule tests: tiny inventories judged by the real engine at a fixed as-of time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from pataudit.checks.catalog import default_catalog
from pataudit.checks.engine import EngineInput, evaluate
from pataudit.checks.params import resolve_params
from pataudit.config import Policy
from pataudit.inventory import make_row, to_frame

AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


def token(native: str, kind: str = "aws_access_key", **values) -> dict:
    source = kind.split("_")[0] if not kind.startswith("azure") else "azure_devops"
    return make_row(
        token_id=f"{source}:s:{kind}:{native}",
        source=source,
        scope="s",
        kind=kind,
        collected_at=AS_OF,
        owner=values.pop("owner", native),
        **values,
    )


def judge(rows: list[dict], *, policy: Policy | None = None, records=(), waivers=()) -> pd.DataFrame:
    catalog = default_catalog()
    policy = policy or Policy()
    return evaluate(
        EngineInput(
            inventory=to_frame(rows),
            records=list(records),
            catalog=catalog,
            params=resolve_params(catalog, policy),
            waivers=list(waivers),
            as_of=AS_OF,
            max_evidence_age_hours=policy.max_evidence_age_hours,
        )
    )


def outcome(findings: pd.DataFrame, control: str, native: str) -> tuple[str, str]:
    rows = findings[(findings["control_id"] == control) & findings["token_id"].str.endswith(f":{native}")]
    assert len(rows) == 1, f"expected one {control} finding for {native}, got {len(rows)}"
    row = rows.iloc[0]
    return str(row["status"]), str(row["reason"])
