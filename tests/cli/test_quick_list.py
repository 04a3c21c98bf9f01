"""The shell's ``incident list`` on SQLite reads the file with the standard library's driver
(``storage/incident_listing.py``, for the shell's speed); it must find exactly the incidents,
order and fields the incident service finds, and step aside when it cannot answer."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import FixedClock
from bot.incidents.model import ACTIVE, IncidentStatus, Severity
from bot.incidents.rows import incident_from_row
from bot.incidents.service import IncidentService
from storage import migrate
from storage.db import Database
from storage.incident_listing import list_incidents, sqlite_file
from tests.support.cli import invoke


async def _incidents_in_every_state(service: IncidentService, clock: FixedClock) -> None:
    """Six incidents, one per status and two in the same second, with people, components
    and every timestamp column filled somewhere."""
    made = []
    for title, severity in [
        ("Qwen down", Severity.SEV2),
        ("RL checkpoint regressed", Severity.SEV3),
        ("API 5xx", Severity.SEV1),
        ("Slow search", Severity.SEV4),
        ("Creative mode slow", Severity.SEV3),
        ("Same second", Severity.SEV3),
    ]:
        made.append(
            await service.create(
                title=title, severity=severity, actor="U0AAA", components=["api", "llm"]
            )
        )
        if title != "Creative mode slow":
            clock.advance(timedelta(minutes=7))
    _, second, third, fourth, fifth, _ = made
    await service.acknowledge(incident_id=second.id, actor="U0BBB")
    await service.acknowledge(incident_id=third.id, actor="U0CCC")
    await service.update_status(third.id, IncidentStatus.MITIGATED, "rolled back", "U0CCC")
    await service.acknowledge(incident_id=fourth.id, actor="U0BBB")
    await service.resolve(incident_id=fourth.id, resolution="cache warmed", actor="U0BBB")
    await service.acknowledge(incident_id=fifth.id, actor="U0AAA")
    await service.resolve(incident_id=fifth.id, resolution="fixed", actor="U0AAA")
    await service.close_incident(fifth.id, "U0AAA")


async def test_the_quick_read_finds_what_the_service_finds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/quick.db"
    migrate.upgrade(url)
    clock = FixedClock(datetime.fromisoformat("2026-12-07T23:59:58+09:00"))
    db = Database(url)
    service = IncidentService(db=db, clock=clock)
    try:
        await _incidents_in_every_state(service, clock)
        active = sorted(status.value for status in ACTIVE)
        for active_only, statuses in [(True, active), (False, None)]:
            expected = await service.list_incidents(active_only=active_only, limit=None)
            records = list_incidents(tmp_path / "quick.db", statuses=statuses)

            assert records is not None
            assert [incident_from_row(r) for r in records] == expected
            assert len(expected) == (4 if active_only else 6)
    finally:
        await db.dispose()


async def test_it_steps_aside_for_a_file_it_cannot_answer_for(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert list_incidents(missing, statuses=None) is None
    assert not missing.exists()  # read-only: it creates nothing

    behind = tmp_path / "behind.db"
    with sqlite3.connect(behind) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
    connection.close()
    assert list_incidents(behind, statuses=None) is None

    assert [sqlite_file(u) for u in ("sqlite://", "sqlite:///:memory:?cache=shared")] == [None] * 2
    assert sqlite_file("postgresql://localhost/test") is None


async def test_a_first_list_on_a_new_file_still_creates_its_schema(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/new.db", "SRE_CONFIG": str(tmp_path / "no.yaml")}

    assert await invoke("incident", "list", env=env) == (0, "No incidents.\n", "")
    assert migrate.current_revision(env["DATABASE_URL"]) == migrate.HEAD_REVISION
