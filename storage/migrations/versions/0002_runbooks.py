"""Runbook runs, their steps, approval decisions and the one-active-run lock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runbook_runs",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("runbook", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("requester", sa.Text(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("incident_id", sa.String(length=32), nullable=True),
        sa.Column("origin_channel", sa.Text(), nullable=True),
        sa.Column("message_channel", sa.Text(), nullable=True),
        sa.Column("message_ts", sa.Text(), nullable=True),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_runbook_runs_state", "runbook_runs", ["state"])
    op.create_table(
        "runbook_steps",
        sa.Column("run_id", sa.String(length=40), sa.ForeignKey("runbook_runs.id"), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("call", sa.JSON(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "idx", name="pk_runbook_steps"),
    )
    op.create_table(
        "runbook_active",
        sa.Column("runbook", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column(
            "run_id",
            sa.String(length=40),
            sa.ForeignKey("runbook_runs.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("runbook", "target", name="pk_runbook_active"),
    )
    op.create_table(
        "runbook_decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(length=40), sa.ForeignKey("runbook_runs.id"), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("run_id", "idx", name="uq_runbook_decisions_step"),
    )


def downgrade() -> None:
    op.drop_table("runbook_decisions")
    op.drop_table("runbook_active")
    op.drop_table("runbook_steps")
    op.drop_index("ix_runbook_runs_state", table_name="runbook_runs")
    op.drop_table("runbook_runs")
