"""Initial schema of pataudit 0.1: runs, per-control scores and open findings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "runs",
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
    op.create_table(
        "control_scores",
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
    op.create_table(
        "findings",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("control_id", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.String(512), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("waiver_id", sa.String(128), nullable=False),
    )
