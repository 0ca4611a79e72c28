"""The history of runs: metadata, per-control scores and open findings, in SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from platformdirs import user_data_dir

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("organization", sa.String(255), nullable=False),
    sa.Column("period", sa.String(64), nullable=False),
    sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("tool_version", sa.String(32), nullable=False),
    sa.Column("config_sha256", sa.String(64), nullable=False),
    sa.Column("manifest_sha256", sa.String(64), nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("overall_score", sa.Float),
    sa.Column("token_count", sa.Integer, nullable=False),
    sa.Column("fail_count", sa.Integer, nullable=False),
    sa.Column("out_dir", sa.Text, nullable=False),
)

control_scores = sa.Table(
    "control_scores",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("control_id", sa.String(64), primary_key=True),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("pass", sa.Integer, nullable=False),
    sa.Column("fail", sa.Integer, nullable=False),
    sa.Column("waived", sa.Integer, nullable=False),
    sa.Column("error", sa.Integer, nullable=False),
    sa.Column("not_applicable", sa.Integer, nullable=False),
    sa.Column("score", sa.Float),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("control_id", sa.String(64), primary_key=True),
    sa.Column("token_id", sa.String(512), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("waiver_id", sa.String(128), nullable=False),
)

STORED_STATUSES = ("FAIL", "WAIVED", "ERROR")


def default_url() -> str:
    """A SQLite file in the user's data directory."""
    folder = Path(user_data_dir("pataudit", appauthor=False))
    return f"sqlite:///{folder / 'history.sqlite'}"


@dataclass
class Store:
    """A connection to the history database; tables are created on first use."""

    url: str

    def __post_init__(self) -> None:
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(self.url)
        metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One transaction: everything inside lands together or not at all."""
        with self.engine.begin() as connection:
            yield connection

    def record_run(self, run: dict[str, Any], scores: pd.DataFrame, run_findings: pd.DataFrame) -> None:
        """Store a run, its control scores and its open findings in one transaction; idempotent per run id."""
        kept = run_findings[run_findings["status"].isin(STORED_STATUSES)]
        finding_rows = [
            {**row, "status": str(row["status"]), "severity": str(row["severity"]), "reason": str(row["reason"])}
            for row in kept[["control_id", "token_id", "status", "severity", "reason", "waiver_id"]]
            .astype({"control_id": str})
            .to_dict("records")
        ]
        score_rows = [
            {**row, "score": None if pd.isna(row["score"]) else float(row["score"])}
            for row in scores[
                ["control_id", "population", "pass", "fail", "waived", "error", "not_applicable", "score"]
            ].to_dict("records")
        ]
        with self.transaction() as db:
            if db.execute(sa.select(runs.c.run_id).where(runs.c.run_id == run["run_id"])).first():
                return
            db.execute(runs.insert(), [run])
            db.execute(control_scores.insert(), [{**r, "run_id": run["run_id"]} for r in score_rows])
            if finding_rows:
                db.execute(findings.insert(), [{**r, "run_id": run["run_id"]} for r in finding_rows])

    def runs(self, organization: str | None = None) -> pd.DataFrame:
        """All runs, oldest as-of first."""
        query = sa.select(runs).order_by(runs.c.as_of, runs.c.started_at)
        if organization:
            query = query.where(runs.c.organization == organization)
        with self.engine.connect() as db:
            return pd.DataFrame(db.execute(query).mappings().all(), columns=[c.name for c in runs.columns])

    def scores(self, run_ids: list[str]) -> pd.DataFrame:
        """Per-control scores of the given runs."""
        query = sa.select(control_scores).where(control_scores.c.run_id.in_(run_ids))
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in control_scores.columns])

    def open_findings(self, run_id: str) -> pd.DataFrame:
        """The FAIL, WAIVED and ERROR findings stored for one run."""
        query = sa.select(findings).where(findings.c.run_id == run_id)
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in findings.columns])

    def first_failed(self, organization: str, before: datetime) -> pd.DataFrame:
        """For each (control_id, token_id): the earliest as-of at which it FAILed in a run before `before`."""
        query = (
            sa.select(findings.c.control_id, findings.c.token_id, sa.func.min(runs.c.as_of).label("first_seen"))
            .join(runs, runs.c.run_id == findings.c.run_id)
            .where(runs.c.organization == organization, runs.c.as_of < before, findings.c.status == "FAIL")
            .group_by(findings.c.control_id, findings.c.token_id)
        )
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=["control_id", "token_id", "first_seen"])
