"""Signed Slack requests already served, so a replay within Slack's window does nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_requests_seen",
        sa.Column("signature", sa.String(length=128), primary_key=True),
        sa.Column("forget_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_slack_requests_seen_forget_at", "slack_requests_seen", ["forget_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_requests_seen_forget_at", table_name="slack_requests_seen")
    op.drop_table("slack_requests_seen")
