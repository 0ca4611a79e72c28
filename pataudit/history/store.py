"""The history store: a SQLAlchemy database (SQLite file by default, PostgreSQL for teams), migrated with
Alembic when opened, written one run per transaction."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from platformdirs import user_data_dir

from pataudit.history import lifecycle
from pataudit.history.record import RunRecord
from pataudit.history.schema import (
    HEAD,
    control_scores,
    finding_lifecycle,
    findings,
    runs,
    source_coverage,
    source_scores,
)

MIGRATIONS = Path(__file__).parent.parent / "migrations"
MIGRATION_LOCK = 0x7061_7461  # PostgreSQL advisory lock id for schema upgrades ("pata")


def default_url() -> str:
    """A SQLite file in the user's data directory."""
    return f"sqlite:///{Path(user_data_dir('pataudit', appauthor=False)) / 'history.sqlite'}"


def _engine(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 120})

    @sa.event.listens_for(engine, "connect")
    def _connect(connection: Any, _record: Any) -> None:
        connection.isolation_level = None  # let us issue BEGIN ourselves
        connection.execute("PRAGMA foreign_keys = ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front: no deadlocks between writers

    return engine


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Store:
    """A history store; opening it upgrades its schema to the current revision."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        self.migrate()

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One transaction: everything inside lands together or not at all."""
        with self.engine.begin() as db:
            yield db

    def migrate(self) -> None:
        """Bring the schema to the current revision in one transaction (a 0.1 store without Alembic is 0001)."""
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.transaction() as db:
            if db.dialect.name == "postgresql":
                db.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
            tables = set(sa.inspect(db).get_table_names())
            if self.revision(db) == HEAD:
                return
            config.attributes["connection"] = db
            if "runs" in tables and "alembic_version" not in tables:
                command.stamp(config, "0001")
            command.upgrade(config, "head")

    @staticmethod
    def revision(db: sa.Connection) -> str | None:
        """The schema revision recorded in the database, if any."""
        if "alembic_version" not in sa.inspect(db).get_table_names():
            return None
        return db.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def record(self, record: RunRecord) -> bool:
        """Store a run in one transaction; False (and nothing written) when the run id is already stored."""
        run = {**record.run, "recorded_at": datetime.now(UTC)}
        with self.transaction() as db:
            if db.dialect.name == "postgresql":
                key = zlib.crc32(run["organization"].encode())
                db.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": key})
            if db.execute(sa.select(runs.c.run_id).where(runs.c.run_id == run["run_id"])).first():
                return False
            db.execute(runs.insert(), [run])
            db.execute(control_scores.insert(), _rows(record.control_scores, run_id=run["run_id"]))
            if len(record.source_scores):
                db.execute(source_scores.insert(), _rows(record.source_scores, run_id=run["run_id"]))
            if record.coverage:
                db.execute(source_coverage.insert(), [{**c, "run_id": run["run_id"]} for c in record.coverage])
            if len(record.findings):
                db.execute(findings.insert(), _rows(record.findings, run_id=run["run_id"]))
            self._follow(db, record)
        return True

    def _follow(self, db: sa.Connection, record: RunRecord) -> None:
        run = record.run
        later = db.execute(
            sa.select(sa.func.count())
            .select_from(runs)
            .where(runs.c.organization == run["organization"], runs.c.as_of > run["as_of"])
        ).scalar()
        if later:
            lifecycle.rebuild(db, run["organization"])
            return
        opened = record.findings[record.findings["status"].isin(lifecycle.OPEN_STATUSES)]
        lifecycle.apply_run(
            db,
            run["organization"],
            run["run_id"],
            run["as_of"],
            opened[["control_id", "token_id", "severity"]],
            record.unread_prefixes,
        )

    def _frame(self, query: sa.Select, columns: list[str] | None = None) -> pd.DataFrame:
        with self.engine.connect() as db:
            result = db.execute(query)
            names = columns or list(result.keys())
            return pd.DataFrame([[_aware(v) for v in row] for row in result.all()], columns=names)

    def runs(self, organization: str | None = None, since: datetime | None = None) -> pd.DataFrame:
        """Runs, oldest as-of first."""
        query = sa.select(runs).order_by(runs.c.as_of, runs.c.started_at)
        if organization:
            query = query.where(runs.c.organization == organization)
        if since:
            query = query.where(runs.c.as_of >= since)
        return self._frame(query, [c.name for c in runs.columns])

    def control_trend(self, control_id: str | None = None, organization: str | None = None) -> pd.DataFrame:
        """Per-control scores of every run (one control, or all), with the run's period and as-of."""
        return self._scores_over_time(control_scores, "control_id", control_id, organization)

    def source_trend(self, source: str | None = None, organization: str | None = None) -> pd.DataFrame:
        """Per-source scores of every run (one source platform, or all)."""
        return self._scores_over_time(source_scores, "source", source, organization)

    def _scores_over_time(self, table: sa.Table, key: str, value: str | None, organization: str | None) -> pd.DataFrame:
        scored = [c for c in table.columns if c.name != "run_id"]
        query = sa.select(runs.c.run_id, runs.c.organization, runs.c.period, runs.c.as_of, *scored).join(
            table, table.c.run_id == runs.c.run_id
        )
        if value:
            query = query.where(table.c[key] == value)
        if organization:
            query = query.where(runs.c.organization == organization)
        return self._frame(query.order_by(runs.c.as_of))

    def run(self, run_id: str) -> dict[str, Any] | None:
        """One run's metadata (a unique prefix of the run id is enough)."""
        query = sa.select(runs).where(runs.c.run_id.like(f"{run_id}%"))
        frame = self._frame(query, [c.name for c in runs.columns])
        return frame.iloc[0].to_dict() if len(frame) == 1 else None

    def open_findings(self, run_id: str) -> pd.DataFrame:
        """The FAIL, WAIVED and ERROR findings stored for one run."""
        return self._frame(sa.select(findings).where(findings.c.run_id == run_id), [c.name for c in findings.columns])

    def lifecycle_with(
        self, organization: str, run_id: str, as_of: datetime, open_now: pd.DataFrame, unread: list[str]
    ) -> pd.DataFrame:
        """The organisation's followed findings as they would be with one more run (nothing is written)."""
        with self.engine.connect() as db:
            transaction = db.begin()
            try:
                lifecycle.apply_run(db, organization, run_id, as_of, open_now, unread)
                query = sa.select(finding_lifecycle).where(finding_lifecycle.c.organization == organization)
                rows = [[_aware(v) for v in row] for row in db.execute(query).all()]
            finally:
                transaction.rollback()
        return pd.DataFrame(rows, columns=[c.name for c in finding_lifecycle.columns])

    def lifecycle(self, organization: str, state: str | None = None) -> pd.DataFrame:
        """Every followed finding of an organisation: first seen, last seen, resolved."""
        query = sa.select(finding_lifecycle).where(finding_lifecycle.c.organization == organization)
        if state:
            query = query.where(finding_lifecycle.c.state == state)
        return self._frame(query, [c.name for c in finding_lifecycle.columns])


def _rows(frame: pd.DataFrame, **extra: Any) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [{**row, **extra} for row in clean.to_dict("records")]
