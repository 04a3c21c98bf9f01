"""Runbook runs, their steps, approval decisions and the one-active-run lock.

Rows and conditional writes only; the run lifecycle lives in ``bot/runbooks``.
Two guarantees are the database's, not the code's: ``runbook_active`` has one row per
(runbook, target), so two starts cannot both run; ``runbook_decisions`` has one row per
(run, step), so an approval step is decided once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    delete,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from storage.db import Executor, run
from storage.types import UTCDateTime


class RunbookRunRow(SQLModel, table=True):
    __tablename__ = "runbook_runs"
    __table_args__ = (
        Index("ix_runbook_runs_state", "state"),
        # Finds the IDs of one second by prefix (LIKE 'RUN-…-%') on any collation.
        Index("ix_runbook_runs_id_prefix", "id", postgresql_ops={"id": "text_pattern_ops"}),
    )

    id: str = Field(sa_column=Column(String(40), primary_key=True))
    runbook: str = Field(sa_column=Column(String(64), nullable=False))
    target: str = Field(sa_column=Column(String(64), nullable=False))
    state: str = Field(sa_column=Column(String(24), nullable=False))
    requester: str
    dry_run: bool = False
    incident_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    origin_channel: str | None = None
    message_channel: str | None = None
    message_ts: str | None = None
    current_step: int = 0
    # The run's inputs and what its checks found; the runbook as it was at start.
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    note: str = ""
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    version: int = 1
    # Renewed by the process driving the run; recovery leaves a run alone until it lapses.
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class RunbookStepRow(SQLModel, table=True):
    __tablename__ = "runbook_steps"
    __table_args__ = (PrimaryKeyConstraint("run_id", "idx", name="pk_runbook_steps"),)

    run_id: str = Field(sa_column=Column(String(40), ForeignKey("runbook_runs.id"), nullable=False))
    idx: int
    step_id: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    title: str
    state: str = Field(sa_column=Column(String(24), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # The exact call, stored before it is sent: {"method", "url", "json"} or {"argv"}.
    call: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    detail: str = ""
    decided_by: str | None = None
    # The serving process's whole answer to the change (``detail`` is its summary).
    answer: Any | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class RunbookActiveRow(SQLModel, table=True):
    """Held while a run is active; the primary key is the one-run-per-target rule."""

    __tablename__ = "runbook_active"
    __table_args__ = (PrimaryKeyConstraint("runbook", "target", name="pk_runbook_active"),)

    runbook: str = Field(sa_column=Column(String(64), nullable=False))
    target: str = Field(sa_column=Column(String(64), nullable=False))
    run_id: str = Field(
        sa_column=Column(String(40), ForeignKey("runbook_runs.id"), nullable=False, unique=True)
    )
    since: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class RunbookDecisionRow(SQLModel, table=True):
    """Who approved, denied or let expire an approval step; once per (run, step)."""

    __tablename__ = "runbook_decisions"
    __table_args__ = (UniqueConstraint("run_id", "idx", name="uq_runbook_decisions_step"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(sa_column=Column(String(40), ForeignKey("runbook_runs.id"), nullable=False))
    idx: int
    decision: str = Field(sa_column=Column(String(16), nullable=False))
    actor: str
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


# -- runs ----------------------------------------------------------------------------------------


async def get_run(session: AsyncSession, run_id: str) -> RunbookRunRow | None:
    return await session.get(RunbookRunRow, run_id)


async def steps_of(session: AsyncSession, run_id: str) -> Sequence[RunbookStepRow]:
    statement = (
        select(RunbookStepRow)
        .where(RunbookStepRow.run_id == run_id)
        .order_by(col(RunbookStepRow.idx))
    )
    return (await session.execute(statement)).scalars().all()


async def run_ids_with_prefix(session: AsyncSession, base_id: str) -> list[str]:
    """IDs equal to ``base_id`` or suffixed from it (``base-2``, ...)."""
    statement = select(RunbookRunRow.id).where(
        (col(RunbookRunRow.id) == base_id) | col(RunbookRunRow.id).like(base_id + "-%")
    )
    return list((await session.execute(statement)).scalars().all())


async def list_runs(
    session: AsyncSession, *, states: Sequence[str] | None = None, limit: int | None = None
) -> Sequence[RunbookRunRow]:
    statement = select(RunbookRunRow).order_by(
        col(RunbookRunRow.created_at).desc(), col(RunbookRunRow.id).desc()
    )
    if states is not None:
        statement = statement.where(col(RunbookRunRow.state).in_(list(states)))
    if limit is not None:
        statement = statement.limit(limit)
    return (await session.execute(statement)).scalars().all()


async def latest_run_for(
    session: AsyncSession, *, runbook: str, incident_id: str, since: datetime
) -> RunbookRunRow | None:
    """The newest real run of ``runbook`` linked to ``incident_id``, created at or after
    ``since``. Runs are few (a handful a day), so no index on the incident."""
    statement = (
        select(RunbookRunRow)
        .where(
            col(RunbookRunRow.runbook) == runbook,
            col(RunbookRunRow.incident_id) == incident_id,
            col(RunbookRunRow.dry_run).is_(False),
            col(RunbookRunRow.created_at) >= since,
        )
        .order_by(col(RunbookRunRow.created_at).desc(), col(RunbookRunRow.id).desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalars().first()


async def update_run_if_version(
    session: AsyncSession, run_id: str, version: int, values: dict[str, Any]
) -> bool:
    """Apply ``values`` only if the run is still at ``version``; True when it was.

    The loser of two racing writers (a double click, a cancel during a step) matches
    no row and re-reads what the winner left.
    """
    statement = (
        update(RunbookRunRow)
        .where(col(RunbookRunRow.id) == run_id, col(RunbookRunRow.version) == version)
        .values(**values, version=version + 1)
    )
    result = await session.execute(statement)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def set_message(on: Executor, run_id: str, channel: str, ts: str) -> None:
    """Where the run's message lives; not a state change, so the version stays."""
    await run(
        on,
        update(RunbookRunRow)
        .where(col(RunbookRunRow.id) == run_id)
        .values(message_channel=channel, message_ts=ts),
    )


async def hold_run(session: AsyncSession, run_id: str, until: datetime | None) -> None:
    """Renew (or, with None, give up) the driving process's lease; the version stays."""
    await session.execute(
        update(RunbookRunRow).where(col(RunbookRunRow.id) == run_id).values(lease_until=until)
    )


async def take_due_run(
    session: AsyncSession, *, states: Sequence[str], now: datetime, until: datetime
) -> str | None:
    """Lease one run in ``states`` (owed driving) that no live worker holds (its lease free
    or lapsed), oldest change first; None when there is none. The lease is one conditional UPDATE, so
    two workers never take the same run."""
    free = (col(RunbookRunRow.lease_until).is_(None)) | (col(RunbookRunRow.lease_until) <= now)
    candidates = await session.execute(
        select(RunbookRunRow.id)
        .where(col(RunbookRunRow.state).in_(list(states)), free)
        .order_by(col(RunbookRunRow.updated_at), col(RunbookRunRow.id))
        .limit(10)
    )
    for run_id in candidates.scalars().all():
        taken = await session.execute(
            update(RunbookRunRow)
            .where(col(RunbookRunRow.id) == run_id, free)
            .values(lease_until=until)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return run_id
    return None


async def update_step(session: AsyncSession, run_id: str, idx: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(RunbookStepRow)
        .where(col(RunbookStepRow.run_id) == run_id, col(RunbookStepRow.idx) == idx)
        .values(**values)
    )


# -- the one-active-run lock -------------------------------------------------------------------


async def active_run_id(session: AsyncSession, runbook: str, target: str) -> str | None:
    row = await session.get(RunbookActiveRow, (runbook, target))
    return row.run_id if row is not None else None


def take_active(
    session: AsyncSession, *, runbook: str, target: str, run_id: str, at: datetime
) -> None:
    """Claim (runbook, target); a second claim fails at flush or commit (IntegrityError)."""
    session.add(RunbookActiveRow(runbook=runbook, target=target, run_id=run_id, since=at))


async def release_active(session: AsyncSession, run_id: str) -> None:
    await session.execute(delete(RunbookActiveRow).where(col(RunbookActiveRow.run_id) == run_id))


# -- decisions -------------------------------------------------------------------------------


def add_decision(
    session: AsyncSession, *, run_id: str, idx: int, decision: str, actor: str, at: datetime
) -> None:
    """Record the decision of an approval step; a second one for the step is refused."""
    session.add(RunbookDecisionRow(run_id=run_id, idx=idx, decision=decision, actor=actor, at=at))
