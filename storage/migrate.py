"""Schema migrations (Alembic) run from code: ``python -m bot db upgrade`` and start-up.

Every command checks the schema before it works, so the check is one query against
``alembic_version`` compared with ``HEAD_REVISION``; Alembic itself (a tenth of a second to
import and read its scripts) is loaded only to upgrade or to explain a mismatch, and
SQLAlchemy only when a function here runs: the shell's quick read
(``storage/incident_listing.py``) needs nothing but ``HEAD_REVISION``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0012"
"""The newest migration in ``migrations/versions``; tests/test_migrations.py keeps it equal to
Alembic's own head, so adding a migration without moving this fails there."""

_MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class SchemaMismatch:
    """The database's schema is not the one this version works on."""

    current: str | None
    """Where the database is: None before any migration."""
    behind: bool
    """True when upgrading reaches the head (``current`` is none or one of this version's
    migrations); False for a revision this version has never heard of (a newer one ran)."""


def _config(url: str) -> Config:
    from alembic.config import Config

    from storage.db import sync_url

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(_config(url), revision)


def head_revision() -> str:
    """The head as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    scripts = ScriptDirectory.from_config(_config("sqlite://"))
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(url: str) -> str | None:
    """Where the database's schema is (None: no migration ran yet), in one query."""
    from sqlalchemy import create_engine, inspect, pool, text
    from sqlalchemy.exc import DBAPIError

    from storage.db import sync_url

    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            try:
                return connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar_one_or_none()
            except DBAPIError:
                # Only a missing table means "no schema yet"; anything else is the database's
                # own failure, for the caller to explain.
                connection.rollback()
                if inspect(connection).has_table("alembic_version"):
                    raise
                return None
    finally:
        engine.dispose()


def mismatch(url: str) -> SchemaMismatch | None:
    """None when the schema is at ``HEAD_REVISION`` (one query); else how it differs."""
    current = current_revision(url)
    if current == HEAD_REVISION:
        return None
    return SchemaMismatch(current=current, behind=current is None or _known(current))
