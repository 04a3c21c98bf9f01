"""Every command checks the database's schema first: at the head that is one query and the
command runs; behind, SQLite is upgraded in place and PostgreSQL is refused with the way out;
ahead (a newer version upgraded it), both are refused. A refusal changes nothing."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from storage import migrate
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.cli import invoke

BEHIND = "0007"
UNKNOWN = "0999"


@pytest.fixture
def postgres_at(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new PostgreSQL database whose schema says it is at ``request.param``."""
    name = f"artisan_schema_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            connection.execute("INSERT INTO alembic_version VALUES (%s)", (request.param,))
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_tables(url: str) -> list[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return sorted(row[0] for row in rows)


def test_the_head_is_alembics() -> None:
    assert migrate.head_revision() == migrate.HEAD_REVISION


async def test_sqlite_behind_is_upgraded_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/behind.db"
    migrate.upgrade(url, BEHIND)
    env = {"DATABASE_URL": url, "SRE_CONFIG": str(tmp_path / "absent.yaml")}

    code, out, err = await invoke("incident", "create", "sev3", "Slow search", env=env)

    assert code == 0, err
    assert migrate.current_revision(url) == migrate.HEAD_REVISION
    code, out, _ = await invoke("db", "current", env=env)
    assert (code, out) == (
        0,
        f"database schema at {migrate.HEAD_REVISION} (head {migrate.HEAD_REVISION})\n",
    )


@pytest.mark.parametrize("postgres_at", [BEHIND], indirect=True)
async def test_postgres_behind_is_refused_with_the_way_out(
    postgres_at: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": postgres_at, "SRE_CONFIG": str(tmp_path / "absent.yaml")}

    code, out, err = await invoke("incident", "create", "sev3", "Slow search", env=env)

    assert (code, out) == (2, "")
    assert (
        f"the database schema is at {BEHIND}, this version needs {migrate.HEAD_REVISION}: "
        "run `python -m bot db upgrade`" in err
    )
    assert _postgres_tables(postgres_at) == ["alembic_version"]


@pytest.mark.parametrize("postgres_at", [UNKNOWN], indirect=True)
async def test_postgres_ahead_is_refused(postgres_at: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": postgres_at, "SRE_CONFIG": str(tmp_path / "absent.yaml")}

    code, out, err = await invoke("incident", "list", env=env)

    assert (code, out) == (2, "")
    assert f"the database schema is at {UNKNOWN}, which this version does not know" in err
    assert "a newer version of the bot upgraded it" in err
    assert migrate.current_revision(postgres_at) == UNKNOWN
    assert _postgres_tables(postgres_at) == ["alembic_version"]


async def test_sqlite_ahead_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ahead.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES (?)", (UNKNOWN,))
    connection.close()
    env = {"DATABASE_URL": f"sqlite:///{path}", "SRE_CONFIG": str(tmp_path / "absent.yaml")}

    code, out, err = await invoke("incident", "create", "sev3", "Slow search", env=env)

    assert (code, out) == (2, "")
    assert f"the database schema is at {UNKNOWN}, which this version does not know" in err
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert [row[0] for row in tables] == ["alembic_version"]
    connection.close()
