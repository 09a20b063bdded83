"""Runs of the training worker: live state, stop flag, heartbeat.

Revision ID: 0100_runs
Revises: 0002_class
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0100_runs"
down_revision = "0002_class"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True, unique=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("preset", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("epochs", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("batch_logs", sa.JSON(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=True),
        sa.Column("stop_requested", sa.Boolean(), nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("queued_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_owner", "runs", ["owner"])
    op.create_index("ix_runs_queued_at", "runs", ["queued_at"])


def downgrade() -> None:
    op.drop_table("runs")
