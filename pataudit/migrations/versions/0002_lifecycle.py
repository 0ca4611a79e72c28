"""Follow findings across runs; per-source scores and coverage.

Adds `finding_lifecycle` (first seen, last seen, resolved in run N for every control × token of an
organisation), `source_scores` and `source_coverage`, an index for finding look-ups, and backfills the
lifecycle from the findings already stored.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    from pataudit.history.lifecycle import rebuild_all

    op.add_column("runs", sa.Column("recorded_at", sa.DateTime(timezone=True)))
    op.create_index("ix_runs_organization_as_of", "runs", ["organization", "as_of"])
    op.create_index("ix_findings_key", "findings", ["control_id", "token_id"])
    op.create_table(
        "source_scores",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("tokens", sa.Integer, nullable=False),
        sa.Column("pass", sa.Integer, nullable=False),
        sa.Column("fail", sa.Integer, nullable=False),
        sa.Column("waived", sa.Integer, nullable=False),
        sa.Column("error", sa.Integer, nullable=False),
        sa.Column("score", sa.Float),
    )
    op.create_table(
        "source_coverage",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("label", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("token_count", sa.Integer, nullable=False),
        sa.Column("data_as_of", sa.DateTime(timezone=True)),
        sa.Column("problems", sa.Text, nullable=False),
        sa.Column("unread_scopes", sa.Text, nullable=False),
    )
    op.create_table(
        "finding_lifecycle",
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
    op.create_index("ix_lifecycle_state", "finding_lifecycle", ["organization", "state"])
    rebuild_all(op.get_bind())
