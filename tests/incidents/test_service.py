"""The incident service against the real database engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.errors import AlreadyAcknowledged, InvalidInput, TransitionForbidden, UnknownIncident
from bot.incidents.model import IncidentStatus, Severity
from bot.incidents.service import IncidentService
from storage.db import Database
from storage.tables import AuditRow, IncidentRow, TimelineRow


@pytest.fixture
def service(db: Database, clock: FixedClock) -> IncidentService:
    return IncidentService(db=db, clock=clock)


async def _rows(db: Database) -> tuple[list[IncidentRow], list[TimelineRow], list[AuditRow]]:
    async with db.transaction() as session:
        incidents = list((await session.execute(select(IncidentRow))).scalars())
        timeline = list((await session.execute(select(TimelineRow))).scalars())
        audit = list((await session.execute(select(AuditRow))).scalars())
    return incidents, timeline, audit


async def test_create_stores_the_guide_fields_and_a_timeline(service: IncidentService) -> None:
    incident = await service.create(
        title="Qwen LLM Failure",
        severity=Severity.SEV2,
        actor="U0AAA",
        description="Qwen model not responding to requests",
        components=["LLM", "Qwen"],
    )
    assert incident.id == "INC-20261014-103000"
    assert incident.status is IncidentStatus.OPEN
    assert incident.components == ["LLM", "Qwen"]
    assert [e.action for e in incident.timeline] == ["created"]


async def test_ids_in_the_same_second_get_suffixes(service: IncidentService) -> None:
    ids = [
        (await service.create(title=f"t{n}", severity=Severity.SEV3, actor="U0AAA")).id
        for n in range(3)
    ]
    assert ids == ["INC-20261014-103000", "INC-20261014-103000-2", "INC-20261014-103000-3"]


@pytest.mark.engine
async def test_fifty_concurrent_creates_get_fifty_ids(
    service: IncidentService, db: Database
) -> None:
    created = await asyncio.gather(
        *(
            service.create(title=f"load {n}", severity=Severity.SEV3, actor="U0AAA")
            for n in range(50)
        )
    )
    assert len({i.id for i in created}) == 50
    rows, timeline, _ = await _rows(db)
    assert len(rows) == 50
    assert len(timeline) == 50


async def test_a_repeated_request_key_returns_the_first_incident(
    service: IncidentService, db: Database
) -> None:
    first, second = await asyncio.gather(
        service.create(
            title="db down", severity=Severity.SEV1, actor="U0AAA", request_key="view:V1"
        ),
        service.create(
            title="db down", severity=Severity.SEV1, actor="U0AAA", request_key="view:V1"
        ),
    )
    assert first.id == second.id
    rows, _, _ = await _rows(db)
    assert len(rows) == 1


@pytest.mark.engine
async def test_a_note_run_again_under_its_request_key_is_written_once(
    service: IncidentService,
) -> None:
    """The inbox runs a request again when its process died before recording it done."""
    incident = await service.create(title="x", severity=Severity.SEV4, actor="U0AAA")
    for _ in range(2):
        await service.add_note(
            incident_id=incident.id, text="cache cold", actor="U0BBB", request_key="slash:1"
        )
    await service.add_note(
        incident_id=incident.id, text="cache cold", actor="U0BBB", request_key="slash:2"
    )
    notes = [
        e.note for e in (await service.get(incident_id=incident.id)).timeline if e.action == "note"
    ]
    assert notes == ["cache cold", "cache cold"]  # the second request is a second note


async def test_acknowledge_once_under_concurrency(
    service: IncidentService, db: Database, clock: FixedClock
) -> None:
    incident = await service.create(title="api down", severity=Severity.SEV1, actor="U0AAA")
    clock.advance(timedelta(minutes=4))
    results = await asyncio.gather(
        *(service.acknowledge(incident_id=incident.id, actor=f"U0B{n:02d}") for n in range(10)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, AlreadyAcknowledged)]
    assert len(winners) == 1 and len(losers) == 9
    stored = await service.get(incident_id=incident.id)
    assert stored.acknowledged_by == winners[0].acknowledged_by
    assert stored.acknowledged_at == clock.now()
    assert [e.action for e in stored.timeline] == ["created", "acknowledged"]


async def test_a_second_ack_says_who_was_first(service: IncidentService) -> None:
    incident = await service.create(title="api down", severity=Severity.SEV1, actor="U0AAA")
    await service.acknowledge(incident_id=incident.id, actor="U0BBB")
    with pytest.raises(AlreadyAcknowledged) as refused:
        await service.acknowledge(incident_id=incident.id, actor="U0CCC")
    assert refused.value.by == "U0BBB"
    assert (await service.get(incident_id=incident.id)).version == 2


async def test_guide_flow_through_close(service: IncidentService, clock: FixedClock) -> None:
    incident = await service.create(title="Qwen LLM Failure", severity=Severity.SEV2, actor="U0AAA")
    clock.advance(timedelta(minutes=5))
    await service.acknowledge(incident_id=incident.id, actor="alice")
    await service.update_status(
        incident.id, IncidentStatus.INVESTIGATING, "Checking Qwen health endpoint", "alice"
    )
    await service.set_root_cause(incident.id, "Qwen OOM due to a memory leak", "alice")
    clock.advance(timedelta(minutes=40))
    await service.set_resolution(incident.id, "Restarted Qwen with more memory", "alice")
    await service.update_status(incident.id, IncidentStatus.RESOLVED, "", "alice")
    with pytest.raises(TransitionForbidden, match="record its postmortem"):
        await service.close_incident(incident.id, "alice")
    await service.complete_postmortem(incident.id, "https://wiki.example/postmortems/qwen", "alice")
    closed = await service.close_incident(incident.id, "alice")
    assert closed.status is IncidentStatus.CLOSED
    assert closed.resolution == "Restarted Qwen with more memory"
    assert [e.action for e in closed.timeline] == [
        "created",
        "acknowledged",
        "status → investigating",
        "root cause",
        "resolution",
        "status → resolved",
        "postmortem",
        "closed",
    ]
    report = await service.report()
    assert report.mtta.median == timedelta(minutes=5)
    assert report.mttr.median == timedelta(minutes=45)
    assert report.open_postmortems == []


async def test_moving_an_open_incident_acknowledges_it(service: IncidentService) -> None:
    incident = await service.create(title="cache slow", severity=Severity.SEV3, actor="U0AAA")
    moved = await service.update_status(
        incident.id, IncidentStatus.MITIGATED, "cache flushed", "U0BBB"
    )
    assert moved.acknowledged_by == "U0BBB"
    assert [e.action for e in moved.timeline][-2:] == ["acknowledged", "status → mitigated"]


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        ("close_open", TransitionForbidden),
        ("resolve_without_text", InvalidInput),
        ("unknown_id", UnknownIncident),
        ("malformed_id", InvalidInput),
        ("bad_postmortem_url", InvalidInput),
        ("same_severity", InvalidInput),
        ("long_note", InvalidInput),
    ],
)
async def test_refusals_change_nothing(
    service: IncidentService, db: Database, operation: str, error: type[Exception]
) -> None:
    incident = await service.create(title="disk full", severity=Severity.SEV3, actor="U0AAA")
    before = await _rows(db)
    calls = {
        "close_open": lambda: service.close_incident(incident.id, "U0AAA"),
        "resolve_without_text": lambda: service.update_status(
            incident.id, IncidentStatus.RESOLVED, "", "U0AAA"
        ),
        "unknown_id": lambda: service.acknowledge(incident_id="INC-20990101-000000", actor="U0AAA"),
        "malformed_id": lambda: service.acknowledge(incident_id="INC-12", actor="U0AAA"),
        "bad_postmortem_url": lambda: service.complete_postmortem(
            incident.id, "javascript:alert(1)", "U0AAA"
        ),
        "same_severity": lambda: service.set_severity(
            incident_id=incident.id, severity=Severity.SEV3, actor="U0AAA"
        ),
        "long_note": lambda: service.add_note(
            incident_id=incident.id, text="x" * 3001, actor="U0AAA"
        ),
    }
    with pytest.raises(error):
        await calls[operation]()
    after = await _rows(db)
    assert [(r.id, r.status, r.version) for r in after[0]] == [
        (r.id, r.status, r.version) for r in before[0]
    ]
    assert len(after[1]) == len(before[1]) and len(after[2]) == len(before[2])


async def test_every_change_is_audited(service: IncidentService, db: Database) -> None:
    incident = await service.create(title="x", severity=Severity.SEV4, actor="U0AAA")
    await service.acknowledge(incident_id=incident.id, actor="U0BBB")
    await service.add_note(incident_id=incident.id, text="looking", actor="U0BBB")
    _, _, audit = await _rows(db)
    assert [(a.actor, a.action) for a in audit] == [
        ("U0AAA", "incident.create"),
        ("U0BBB", "incident.acknowledge"),
        ("U0BBB", "incident.note"),
    ]
