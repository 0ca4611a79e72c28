"""The store's tables at the current schema revision (the migrations in pataudit/migrations build them)."""

from __future__ import annotations

import sqlalchemy as sa

HEAD = "0002"
metadata = sa.MetaData()


def _run_fk() -> sa.Column:
    return sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True)


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
    sa.Column("recorded_at", sa.DateTime(timezone=True)),
)

control_scores = sa.Table(
    "control_scores",
    metadata,
    _run_fk(),
    sa.Column("control_id", sa.String(64), primary_key=True),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("pass", sa.Integer, nullable=False),
    sa.Column("fail", sa.Integer, nullable=False),
    sa.Column("waived", sa.Integer, nullable=False),
    sa.Column("error", sa.Integer, nullable=False),
    sa.Column("not_applicable", sa.Integer, nullable=False),
    sa.Column("score", sa.Float),
)

source_scores = sa.Table(
    "source_scores",
    metadata,
    _run_fk(),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("tokens", sa.Integer, nullable=False),
    sa.Column("pass", sa.Integer, nullable=False),
    sa.Column("fail", sa.Integer, nullable=False),
    sa.Column("waived", sa.Integer, nullable=False),
    sa.Column("error", sa.Integer, nullable=False),
    sa.Column("score", sa.Float),
)

source_coverage = sa.Table(
    "source_coverage",
    metadata,
    _run_fk(),
    sa.Column("label", sa.String(255), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("token_count", sa.Integer, nullable=False),
    sa.Column("data_as_of", sa.DateTime(timezone=True)),
    sa.Column("problems", sa.Text, nullable=False),
    sa.Column("unread_scopes", sa.Text, nullable=False),
)

findings = sa.Table(
    "findings",
    metadata,
    _run_fk(),
    sa.Column("control_id", sa.String(64), primary_key=True),
    sa.Column("token_id", sa.String(512), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("waiver_id", sa.String(128), nullable=False),
)

finding_lifecycle = sa.Table(
    "finding_lifecycle",
    metadata,
    sa.Column("organization", sa.String(255), primary_key=True),
    sa.Column("finding_key", sa.String(600), primary_key=True),
    sa.Column("control_id", sa.String(64), nullable=False),
    sa.Column("token_id", sa.String(512), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("first_seen_run", sa.String(64), nullable=False),
    sa.Column("first_seen_as_of", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_run", sa.String(64), nullable=False),
    sa.Column("last_seen_as_of", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_run", sa.String(64)),
    sa.Column("resolved_as_of", sa.DateTime(timezone=True)),
    sa.Column("times_seen", sa.Integer, nullable=False),
)
