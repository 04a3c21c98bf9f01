"""Shared fixtures: a real database (SQLite or PostgreSQL, chosen by TEST_DATABASE)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers every table)
from bot.clock import FixedClock
from bot.i18n import LOCALE_VARIABLES
from storage import migrate
from storage.db import Database

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Every process a test starts inherits this one's environment, and the shell speaks the
# language its locale asks for (bot/i18n.py): the suite reads English on any machine, and
# a test that wants Korean says so (`--lang ko`, or LANG in the environment it passes).
for _variable in LOCALE_VARIABLES:
    os.environ.pop(_variable, None)
os.environ["LANG"] = "C.UTF-8"


def pytest_report_header() -> str:
    return f"database backend: {BACKEND}"


DATABASE_FIXTURES = {"database_url", "migrated_database", "db"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``database`` every test that reaches a database, so the PostgreSQL run of
    ``.ci/run`` can choose among them."""
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/fixtures``: the real Slack and Alertmanager payloads (README there)."""
    return FIXTURES


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A schema at head, once per run: an SQLite template file, or a fresh PostgreSQL database."""
    if BACKEND == "sqlite":
        template = tmp_path_factory.mktemp("db") / "template.db"
        url = f"sqlite:///{template}"
        migrate.upgrade(url)
        yield url
        return
    if BACKEND != "postgres":
        raise pytest.UsageError(f"TEST_DATABASE must be sqlite or postgres, not {BACKEND!r}")
    # No skip: a PostgreSQL run that cannot reach PostgreSQL must fail, not pass empty.
    with fresh_postgres_database("artisan_test") as url:
        yield url


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database at head, named ``<prefix>_<random>``, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """An empty database at head for one test."""
    if BACKEND == "sqlite":
        path = tmp_path / "artisan.db"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    with psycopg.connect(migrated_database, autocommit=True) as connection:
        tables = ", ".join(table.name for table in SQLModel.metadata.sorted_tables)
        connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return migrated_database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def prometheus_url(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[str]:
    """A real Prometheus over ``tests/slo/history.py``'s generated history, one per test
    process, shared by the SLO domain, CLI and Slack tests; its blocks are converted once
    and kept in pytest's cache for every process and run after."""
    from tests.slo.history import build_history
    from tests.support.prometheus import PrometheusServer

    server = PrometheusServer(tmp_path_factory.mktemp("prometheus"))
    server.backfill(build_history(), cache=pytestconfig.cache.mkdir("prometheus-blocks"))
    with server:
        yield server.start()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 14, 10, 30, 0, tzinfo=UTC))
