"""The migrations build exactly the schema the tables describe, on the engine under test."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers every table)
from storage import migrate
from storage.db import sync_url

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine


def test_the_migrated_schema_matches_the_tables(migrated_database: str) -> None:
    engine = create_engine(sync_url(migrated_database), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()
    assert migrate.current_revision(migrated_database) == migrate.head_revision()
