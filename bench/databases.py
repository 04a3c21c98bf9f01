"""A fresh database at head for a benchmark: a new SQLite file, or a recreated PostgreSQL one."""

from __future__ import annotations

from pathlib import Path

import psycopg

from storage import migrate


def fresh_database(admin_url: str | None, *, workdir: Path, name: str) -> str:
    """``admin_url`` None: an SQLite file in ``workdir``; else database ``name`` on that
    PostgreSQL server, dropped and created again."""
    if admin_url is None:
        url = f"sqlite:///{workdir / f'{name}.db'}"
    else:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        url = admin_url.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    return url
