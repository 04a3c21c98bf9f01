"""Runbook steps keep the serving process's whole answer to a change: the step's detail says
what happened in a person's words, and the answer stays for ``/runbook status --full`` and
``runbook status --json``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runbook_steps") as table:
        table.add_column(sa.Column("answer", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runbook_steps") as table:
        table.drop_column("answer")
