"""Alert groups, the state of each alert, stored notifications and the runbooks they started.

Rows and conditional writes only; what a notification means lives in ``bot/alerts``.
Three guarantees are the database's: one ``alert_groups`` row per group (locked while a
notification is compared with it, so concurrent deliveries queue), one ``alert_states`` row
per (group, fingerprint), and one ``alert_runbooks`` row per (group, episode, runbook), so a
runbook is started once per incident however often the group is re-sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    and_,
    insert,
    or_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from storage.types import UTCDateTime

PENDING, DONE = "pending", "done"


class AlertGroupRow(SQLModel, table=True):
    """One Alertmanager group; ``episode`` counts the times it started firing from quiet."""

    __tablename__ = "alert_groups"

    id: str = Field(sa_column=Column(String(64), primary_key=True))  # sha256 of groupKey
    group_key: str = Field(sa_column=Column(Text, nullable=False))
    episode: int = 0
    incident_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    truncated: int = 0
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AlertStateRow(SQLModel, table=True):
    """The last known state of one alert of a group, by fingerprint (never ``startsAt``)."""

    __tablename__ = "alert_states"
    __table_args__ = (PrimaryKeyConstraint("group_id", "fingerprint", name="pk_alert_states"),)

    group_id: str = Field(sa_column=Column(String(64), nullable=False))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    episode: int = 0
    status: str = Field(sa_column=Column(String(16), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    severity: str = Field(sa_column=Column(String(8), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AlertNotificationRow(SQLModel, table=True):
    """A delivery that changed something, stored before it is answered: ``news`` is what it
    changed, worked off after the answer (and again at start if the process died)."""

    __tablename__ = "alert_notifications"
    __table_args__ = (Index("ix_alert_notifications_state", "state", "id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    group_id: str = Field(sa_column=Column(String(64), nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    news: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default=PENDING, sa_column=Column(String(16), nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    attempts: int = 0
    last_error: str | None = None


class AlertRunbookRow(SQLModel, table=True):
    """A runbook an alert asked for, once per (group, episode): ``run_id`` once started."""

    __tablename__ = "alert_runbooks"
    __table_args__ = (
        PrimaryKeyConstraint("group_id", "episode", "runbook", name="pk_alert_runbooks"),
    )

    group_id: str = Field(sa_column=Column(String(64), nullable=False))
    episode: int = Field(sa_column=Column(Integer, nullable=False))
    runbook: str = Field(sa_column=Column(String(64), nullable=False))
    run_id: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    outcome: str = ""


async def lock_group(
    session: AsyncSession, *, group_id: str, group_key: str, now: datetime
) -> AlertGroupRow:
    """The group's row, created when new, locked until the transaction ends (PostgreSQL;
    SQLite's BEGIN IMMEDIATE already serialises writers)."""
    if await session.get(AlertGroupRow, group_id) is None:
        try:
            async with session.begin_nested():
                session.add(AlertGroupRow(id=group_id, group_key=group_key, updated_at=now))
                await session.flush()
        except IntegrityError:
            pass
    statement = select(AlertGroupRow).where(col(AlertGroupRow.id) == group_id).with_for_update()
    row = (await session.execute(statement.execution_options(populate_existing=True))).scalar_one()
    return row


async def states(session: AsyncSession, group_id: str) -> dict[str, AlertStateRow]:
    statement = select(AlertStateRow).where(col(AlertStateRow.group_id) == group_id)
    return {r.fingerprint: r for r in (await session.execute(statement)).scalars().all()}


async def add_states(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert new alert states in one statement (a notification may bring 1,000)."""
    if rows:
        await session.execute(insert(AlertStateRow), rows)


async def claim_runbook(
    session: AsyncSession, *, group_id: str, episode: int, runbook: str
) -> bool:
    """True for the first claim of ``runbook`` in this episode of the group."""
    if await session.get(AlertRunbookRow, (group_id, episode, runbook)) is not None:
        return False
    session.add(AlertRunbookRow(group_id=group_id, episode=episode, runbook=runbook))
    return True


async def runbooks_to_start(
    session: AsyncSession, *, group_id: str, episode: int
) -> list[AlertRunbookRow]:
    statement = select(AlertRunbookRow).where(
        col(AlertRunbookRow.group_id) == group_id,
        col(AlertRunbookRow.episode) == episode,
        col(AlertRunbookRow.run_id).is_(None),
        col(AlertRunbookRow.outcome) == "",
    )
    return list((await session.execute(statement)).scalars().all())


async def record_runbook(
    session: AsyncSession,
    *,
    group_id: str,
    episode: int,
    runbook: str,
    run_id: str | None,
    outcome: str,
) -> None:
    await session.execute(
        update(AlertRunbookRow)
        .where(
            col(AlertRunbookRow.group_id) == group_id,
            col(AlertRunbookRow.episode) == episode,
            col(AlertRunbookRow.runbook) == runbook,
        )
        .values(run_id=run_id, outcome=outcome[:500])
    )


async def due_notifications(session: AsyncSession, *, now: datetime) -> list[int]:
    statement = (
        select(AlertNotificationRow.id)
        .where(
            col(AlertNotificationRow.state) == PENDING,
            or_(
                col(AlertNotificationRow.lease_until).is_(None),
                col(AlertNotificationRow.lease_until) < now,
            ),
        )
        .order_by(col(AlertNotificationRow.id))
    )
    return [int(i) for i in (await session.execute(statement)).scalars().all() if i is not None]


async def lease_notification(
    session: AsyncSession, *, notification_id: int, now: datetime, until: datetime
) -> AlertNotificationRow | None:
    """Take a pending notification for processing; None when done or held by another."""
    result = await session.execute(
        update(AlertNotificationRow)
        .where(
            col(AlertNotificationRow.id) == notification_id,
            col(AlertNotificationRow.state) == PENDING,
            or_(
                col(AlertNotificationRow.lease_until).is_(None),
                col(AlertNotificationRow.lease_until) < now,
            ),
        )
        .values(lease_until=until, attempts=AlertNotificationRow.attempts + 1)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return await session.get(AlertNotificationRow, notification_id)


async def finish_notification(
    session: AsyncSession, *, notification_id: int, error: str | None = None
) -> None:
    values: dict[str, Any] = {"lease_until": None, "last_error": error}
    if error is None:
        values["state"] = DONE
    await session.execute(
        update(AlertNotificationRow)
        .where(col(AlertNotificationRow.id) == notification_id)
        .values(**values)
    )


async def set_incident(
    session: AsyncSession, *, group_id: str, episode: int, incident_id: str
) -> None:
    await session.execute(
        update(AlertGroupRow)
        .where(col(AlertGroupRow.id) == group_id, col(AlertGroupRow.episode) == episode)
        .values(incident_id=incident_id)
    )


async def firing_of_incident(session: AsyncSession, incident_id: str) -> list[AlertStateRow]:
    """The alerts firing in every group episode that opened or joined ``incident_id``."""
    statement = (
        select(AlertStateRow)
        .join(
            AlertGroupRow,
            and_(
                col(AlertGroupRow.id) == col(AlertStateRow.group_id),
                col(AlertGroupRow.episode) == col(AlertStateRow.episode),
            ),
        )
        .where(
            col(AlertGroupRow.incident_id) == incident_id,
            col(AlertStateRow.status) == "firing",
        )
        .order_by(col(AlertStateRow.severity), col(AlertStateRow.name))
    )
    return list((await session.execute(statement)).scalars().all())


async def run_of(session: AsyncSession, incident_id: str, runbook: str) -> str | None:
    """A run of ``runbook`` already linked to ``incident_id`` (started before a crash)."""
    from storage.runbooks import RunbookRunRow

    statement = select(RunbookRunRow.id).where(
        col(RunbookRunRow.incident_id) == incident_id, col(RunbookRunRow.runbook) == runbook
    )
    found = (await session.execute(statement)).scalars().first()
    return str(found) if found is not None else None
