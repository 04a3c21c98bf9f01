"""The posts table becomes the outbox: pending posts, leases, retries and threads.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as table:
        table.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="sent")
        )
        table.add_column(sa.Column("thread_key", sa.String(length=255), nullable=True))
        table.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        table.add_column(sa.Column("generation", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
        table.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
        table.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    # Rows from before the outbox were claims: posted or not, nobody delivers them again.
    op.create_index("ix_posts_state_due", "posts", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_posts_state_due", table_name="posts")
    with op.batch_alter_table("posts") as table:
        for column in ("last_error", "lease_until", "next_attempt_at", "generation", "attempts"):
            table.drop_column(column)
        table.drop_column("thread_key")
        table.drop_column("state")
