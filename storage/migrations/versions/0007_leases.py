"""Leases: a runbook run's owner renews one while it drives the run, and the scheduler
leads by a lease row while Redis cannot be reached.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runbook_runs") as table:
        table.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    with op.batch_alter_table("runbook_runs") as table:
        table.drop_column("lease_until")
