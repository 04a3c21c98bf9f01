"""The inbox: every acknowledged Slack request is stored before its ack and kept until a
worker has run it. Its unique key is the replay check, so the table of seen signatures goes.
A timeline entry keeps the key of the request that wrote it, so a request run again after a
crash writes no second note.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_inbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_slack_inbox_key", "slack_inbox", ["key"], unique=True)
    op.create_index("ix_slack_inbox_state", "slack_inbox", ["state", "id"])
    op.drop_index("ix_slack_requests_seen_forget_at", table_name="slack_requests_seen")
    op.drop_table("slack_requests_seen")
    with op.batch_alter_table("timeline") as table:
        table.add_column(sa.Column("request_key", sa.String(length=255), nullable=True))
        table.create_unique_constraint("uq_timeline_request_key", ["request_key"])


def downgrade() -> None:
    with op.batch_alter_table("timeline") as table:
        table.drop_constraint("uq_timeline_request_key", type_="unique")
        table.drop_column("request_key")
    op.create_table(
        "slack_requests_seen",
        sa.Column("signature", sa.String(length=128), primary_key=True),
        sa.Column("forget_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_slack_requests_seen_forget_at", "slack_requests_seen", ["forget_at"])
    op.drop_index("ix_slack_inbox_state", table_name="slack_inbox")
    op.drop_index("ix_slack_inbox_key", table_name="slack_inbox")
    op.drop_table("slack_inbox")
