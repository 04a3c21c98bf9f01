"""Post keys (each scheduled message posted at most once) and on-call overrides.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("key", sa.String(length=255), primary_key=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=True),
        sa.Column("ts", sa.Text(), nullable=True),
    )
    op.create_index("ix_posts_kind_subject", "posts", ["kind", "subject", "claimed_at"])
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pool", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_overrides_pool_end", "oncall_overrides", ["pool", "ends_at"])


def downgrade() -> None:
    op.drop_table("oncall_overrides")
    op.drop_table("posts")
