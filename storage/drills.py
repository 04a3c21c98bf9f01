"""Runbook drills: one row per fire time, claimed before its dry runs start and completed
with what they were, so two ticks, a restart or two processes start them once. The summary
is owed to the outbox under the same key, once, by a later tick."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, String, Text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from storage.db import insert_into
from storage.types import UTCDateTime


class DrillRow(SQLModel, table=True):
    """A drill's dry runs: ``started_at`` is None while a tick starts them (under its claim,
    ``claimed_until``); then the runs (runbook -> run ID) and the runbooks refused (-> why)."""

    __tablename__ = "runbook_drills"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    claimed_until: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    reachable: str | None = Field(default=None, sa_column=Column(Text))
    runs: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    refused: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


async def get(session: AsyncSession, key: str) -> DrillRow | None:
    return await session.get(DrillRow, key)


async def claim(session: AsyncSession, *, key: str, now: datetime, until: datetime) -> bool:
    """Take the drill ``key`` to start its dry runs: a new one, or one whose start never
    finished (its claim lapsed: the process died). False when another has it or it started."""
    taken = await session.execute(
        update(DrillRow)
        .where(
            col(DrillRow.key) == key,
            col(DrillRow.started_at).is_(None),
            col(DrillRow.claimed_until) <= now,
        )
        .values(claimed_until=until)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return True
    inserted = await session.execute(
        insert_into(session, DrillRow)
        .values(key=key, claimed_until=until, runs={}, refused={})
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(DrillRow.key))
    )
    return inserted.first() is not None


async def record_started(
    session: AsyncSession,
    *,
    key: str,
    at: datetime,
    reachable: str | None,
    runs: dict[str, str],
    refused: dict[str, str],
) -> None:
    await session.execute(
        update(DrillRow)
        .where(col(DrillRow.key) == key)
        .values(started_at=at, reachable=reachable, runs=runs, refused=refused)
    )
