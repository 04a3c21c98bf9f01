"""Indexes that find the IDs of one second by prefix (``INC-20261201-140000-%``) without
reading the whole table: at 200 creates a second every create looked for them.

On PostgreSQL they use ``text_pattern_ops``, which serves ``LIKE 'prefix%'`` whatever the
database's collation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_incidents_id_prefix",
        "incidents",
        ["id"],
        postgresql_ops={"id": "text_pattern_ops"},
    )
    op.create_index(
        "ix_runbook_runs_id_prefix",
        "runbook_runs",
        ["id"],
        postgresql_ops={"id": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_runbook_runs_id_prefix", table_name="runbook_runs")
    op.drop_index("ix_incidents_id_prefix", table_name="incidents")
