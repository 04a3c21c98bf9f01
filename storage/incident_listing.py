"""The incidents table read with the standard library's ``sqlite3``, for the shell's everyday
``python -m bot incident list`` on SQLite.

A measured hot path (``bench.shell_latency``, docs/decisions.md#the-shell-is-a-first-class-door):
importing SQLAlchemy alone costs about as long as a person should wait for the whole answer,
so this read goes to the driver. It only reads, opens the file read-only, and answers only
when the file is there and its schema is at ``HEAD_REVISION`` (the same one query as
``storage.migrate``); otherwise it says so (None) and the command takes the usual path,
which creates, upgrades or explains. ``storage/incidents.py`` stays the table's one module
for everything else; ``tests/storage/test_incident_listing.py`` holds the two to the same
rows and order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from storage.migrate import HEAD_REVISION


@dataclass(frozen=True)
class IncidentRecord:
    """One row of ``incidents``, with the columns and types of ``IncidentRow``."""

    id: str
    title: str
    description: str
    severity: str
    status: str
    components: list[str]
    created_at: datetime
    created_by: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    root_cause: str | None
    resolution: str | None
    postmortem_url: str | None
    channel_id: str | None
    message_ts: str | None
    version: int


COLUMNS = tuple(f.name for f in fields(IncidentRecord))
_INSTANTS = frozenset({"created_at", "acknowledged_at", "mitigated_at", "resolved_at", "closed_at"})


def sqlite_file(url: str) -> Path | None:
    """The file a ``sqlite:///PATH`` URL names; None for any other URL (a query string,
    an in-memory database, another engine), which this module does not read."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or len(url) == len(prefix):
        return None
    return Path(url[len(prefix) :])


def _instant(value: str | None) -> datetime | None:
    # SQLite keeps no offset: what storage.types.UTCDateTime wrote is UTC by construction.
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _record(row: sqlite3.Row) -> IncidentRecord:
    values = {name: row[name] for name in COLUMNS}
    for name in _INSTANTS:
        values[name] = _instant(values[name])
    values["components"] = json.loads(values["components"] or "[]")
    return IncidentRecord(**values)


def list_incidents(path: Path, *, statuses: Sequence[str] | None) -> list[IncidentRecord] | None:
    """The incidents ``storage.incidents.list_rows`` finds with these ``statuses`` (None:
    all), newest first; None when this file cannot answer here (see the module's note)."""
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        connection.row_factory = sqlite3.Row
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if version is None or version[0] != HEAD_REVISION:
            return None
        where = ""
        if statuses is not None:
            where = f"WHERE status IN ({', '.join('?' for _ in statuses)}) "
        rows = connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM incidents {where}"  # names fixed above
            "ORDER BY created_at DESC, id DESC",
            tuple(statuses or ()),
        ).fetchall()
        return [_record(row) for row in rows]
    except sqlite3.Error:
        return None
    finally:
        connection.close()
