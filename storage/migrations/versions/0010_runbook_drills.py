"""Runbook drills: a row per fire time, so a tick only starts the dry runs (once) and a
later tick posts the summary, instead of one tick waiting minutes for them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runbook_drills",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("reachable", sa.Text(), nullable=True),
        sa.Column("runs", sa.JSON(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("runbook_drills")
