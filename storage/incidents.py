"""Incident rows: reads, inserts and conditional updates. No lifecycle rules live here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    update,
)
from sqlalchemy import insert as insert_statement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlmodel import Field, SQLModel, col, select

from storage.db import Executor, dialect_of, insert_in, run
from storage.types import UTCDateTime


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("request_key", name="uq_incidents_request_key"),
        Index("ix_incidents_status", "status"),
        # Finds the IDs of one second by prefix (LIKE 'INC-…-%') on any collation.
        Index("ix_incidents_id_prefix", "id", postgresql_ops={"id": "text_pattern_ops"}),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    title: str
    description: str = ""
    severity: str = Field(sa_column=Column(String(8), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    components: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    mitigated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    root_cause: str | None = None
    resolution: str | None = None
    postmortem_url: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    # Set by whoever first files the incident (a Slack trigger_id, a modal's view id, an
    # alert fingerprint): a retried request finds the row instead of making a second one.
    request_key: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    version: int = 1
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TimelineRow(SQLModel, table=True):
    __tablename__ = "timeline"
    __table_args__ = (
        Index("ix_timeline_incident", "incident_id", "id"),
        UniqueConstraint("request_key", name="uq_timeline_request_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incidents.id")
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor: str
    action: str
    note: str = ""
    # The Slack request that wrote the entry (a note's trigger_id): run again after a crash,
    # it finds the entry and writes nothing.
    request_key: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))


INCIDENTS: Table = IncidentRow.__table__  # type: ignore[attr-defined]
TIMELINE: Table = TimelineRow.__table__  # type: ignore[attr-defined]
# The IDs of one second, and (PostgreSQL) the lock that queues its creates: see below.
_LOCK_SECOND = select(func.pg_advisory_xact_lock(func.hashtext(bindparam("base_id", type_=String))))
_IDS_OF_SECOND = select(INCIDENTS.c.id).where(
    (INCIDENTS.c.id == bindparam("base_id")) | INCIDENTS.c.id.like(bindparam("suffixed"))
)

_ADD_TIMELINE = insert_statement(TIMELINE)
_WROTE = select(TIMELINE.c.id).where(TIMELINE.c.request_key == bindparam("request_key")).limit(1)
_FILED_UNDER = select(INCIDENTS.c.id).where(INCIDENTS.c.request_key == bindparam("request_key"))
_SET_CARD = update(INCIDENTS).where(INCIDENTS.c.id == bindparam("card_of"))


async def get(session: AsyncSession, incident_id: str) -> IncidentRow | None:
    return await session.get(IncidentRow, incident_id)


async def get_for_update(session: AsyncSession, incident_id: str) -> IncidentRow | None:
    """The row, locked until the transaction ends (PostgreSQL; SQLite locks the database)."""
    statement = select(IncidentRow).where(IncidentRow.id == incident_id).with_for_update()
    return (await session.execute(statement)).scalars().first()


async def get_by_request_key(session: AsyncSession, request_key: str) -> IncidentRow | None:
    result = await session.execute(
        select(IncidentRow).where(IncidentRow.request_key == request_key)
    )
    return result.scalars().first()


async def filed_under(on: Executor, request_key: str) -> str | None:
    """The ID of the incident filed under ``request_key``, if any."""
    found = await run(on, _FILED_UNDER, {"request_key": request_key})
    return found.scalar_one_or_none()


async def insert(on: Executor, row: IncidentRow) -> bool:
    """Store a new incident; False when one was filed under its ``request_key`` already
    (nothing stored). A taken ID raises IntegrityError."""
    inserted = await run(on, _insert_new(dialect_of(on)), row.model_dump())
    return inserted.first() is not None


@cache
def _insert_new(dialect: str) -> Executable:
    return (
        insert_in(dialect, INCIDENTS)
        .on_conflict_do_nothing(index_elements=["request_key"])
        .returning(INCIDENTS.c.id)
    )


async def ids_with_prefix(on: Executor, base_id: str) -> list[str]:
    """IDs equal to ``base_id`` or suffixed from it (``base-2``, ``base-3``, ...).

    On PostgreSQL the transaction first takes a lock on ``base_id`` (held until it ends), so
    creates of one second queue here for a moment instead of picking the same suffix: the
    loser would wait for the winner's commit, fail on the key, and start over, and at 200
    creates a second most of them did. SQLite's BEGIN IMMEDIATE already queues writers.
    """
    if dialect_of(on) == "postgresql":
        await run(on, _LOCK_SECOND, {"base_id": base_id})
    taken = await run(on, _IDS_OF_SECOND, {"base_id": base_id, "suffixed": base_id + "-%"})
    return list(taken.scalars().all())


async def timeline(session: AsyncSession, incident_id: str) -> Sequence[TimelineRow]:
    statement = (
        select(TimelineRow)
        .where(TimelineRow.incident_id == incident_id)
        .order_by(col(TimelineRow.id))
    )
    return (await session.execute(statement)).scalars().all()


async def latest_entry(session: AsyncSession, incident_id: str) -> TimelineRow | None:
    """The incident's newest timeline entry (the card shows it)."""
    statement = (
        select(TimelineRow)
        .where(TimelineRow.incident_id == incident_id)
        .order_by(col(TimelineRow.id).desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalars().first()


async def latest_entry_of(
    session: AsyncSession, incident_id: str, *, action: str
) -> TimelineRow | None:
    """The incident's newest timeline entry of kind ``action`` (``recovered``), if any."""
    statement = (
        select(TimelineRow)
        .where(TimelineRow.incident_id == incident_id, TimelineRow.action == action)
        .order_by(col(TimelineRow.id).desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalars().first()


async def list_rows(
    session: AsyncSession,
    *,
    statuses: Sequence[str] | None = None,
    since: datetime | None = None,
    channel_id: str | None = None,
    limit: int | None = None,
) -> Sequence[IncidentRow]:
    statement = select(IncidentRow).order_by(
        col(IncidentRow.created_at).desc(), col(IncidentRow.id).desc()
    )
    if statuses is not None:
        statement = statement.where(col(IncidentRow.status).in_(list(statuses)))
    if since is not None:
        statement = statement.where(col(IncidentRow.created_at) >= since)
    if channel_id is not None:
        statement = statement.where(IncidentRow.channel_id == channel_id)
    if limit is not None:
        statement = statement.limit(limit)
    return (await session.execute(statement)).scalars().all()


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    statement = select(IncidentRow.status, func.count()).group_by(col(IncidentRow.status))
    return {status: count for status, count in (await session.execute(statement)).all()}


async def update_if_version(
    session: AsyncSession, incident_id: str, version: int, values: dict[str, Any]
) -> bool:
    """Apply ``values`` only if the row is still at ``version``; True when it was.

    This is what makes a double click or two racing acks change the incident once:
    the loser's UPDATE matches no row and it re-reads the state the winner left.
    """
    statement = (
        update(IncidentRow)
        .where(col(IncidentRow.id) == incident_id, col(IncidentRow.version) == version)
        .values(**values, version=version + 1)
    )
    result = await session.execute(statement)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def set_card(on: Executor, incident_id: str, *, channel_id: str, ts: str) -> None:
    """Where the incident's card lives; not a state change, so the version stays."""
    await run(on, _SET_CARD, {"card_of": incident_id, "channel_id": channel_id, "message_ts": ts})


async def add_timeline(
    on: Executor,
    *,
    incident_id: str,
    at: datetime,
    actor: str,
    action: str,
    note: str = "",
    request_key: str | None = None,
) -> None:
    values = {
        "incident_id": incident_id,
        "at": at,
        "actor": actor,
        "action": action,
        "note": note,
        "request_key": request_key,
    }
    await run(on, _ADD_TIMELINE, values)


async def wrote(on: Executor, request_key: str) -> bool:
    """Whether the request ``request_key`` wrote a timeline entry already."""
    found = await run(on, _WROTE, {"request_key": request_key})
    return found.first() is not None
