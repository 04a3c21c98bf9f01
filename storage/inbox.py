"""The inbox's rows: every Slack request the bot acknowledged, kept until it was worked.

A request's ``key`` is unique, so storing it is also the replay check: a second request
with the same key is a conflict and stores nothing. Statements are SQLAlchemy Core (this is
the hot path of every command); the table itself is SQLModel's, for the migrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlmodel import Field, SQLModel

from storage.db import Executor, dialect_of, insert_in, run
from storage.types import UTCDateTime

PENDING = "pending"
DONE = "done"
ABANDONED = "abandoned"
"""The door told the person nothing was recorded (its store answered too late): never worked."""
GAVE_UP = "gave_up"
"""Started too many times without finishing (each start ended with its process): not again."""


class InboxRow(SQLModel, table=True):
    __tablename__ = "slack_inbox"
    __table_args__ = (
        Index("ix_slack_inbox_key", "key", unique=True),
        Index("ix_slack_inbox_state", "state", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    key: str = Field(sa_column=Column(String(160), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(sa_column=Column(Integer, nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


_TABLE = InboxRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Leased:
    """A row taken to be worked: what the worker needs of it."""

    id: int
    key: str
    kind: str
    body: str
    attempts: int


@cache
def _store_in(dialect: str) -> Any:
    """The store's statement, built once per dialect (it runs for every request)."""
    return (
        insert_in(dialect, _TABLE)
        .values({name: bindparam(name) for name in _STORED})
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_TABLE.c.id)
    )


_STORED = ("key", "kind", "body", "received_at", "state", "attempts", "lease_until")


async def store(
    on: Executor,
    *,
    key: str,
    kind: str,
    body: str,
    received_at: datetime,
    hold_until: datetime,
    attempts: int,
) -> int | None:
    """Insert the request, held for its door until ``hold_until``; its ID, or None when the
    key was stored before (a replay)."""
    values = {
        "key": key,
        "kind": kind,
        "body": body,
        "received_at": received_at,
        "state": PENDING,
        "attempts": attempts,
        "lease_until": hold_until,
    }
    stored = (await run(on, _store_in(dialect_of(on)), values)).scalar_one_or_none()
    return None if stored is None else int(stored)


async def renew(on: Executor, *, id: int, until: datetime | None) -> None:
    """Hold the row until ``until``; None lets any worker take it now."""
    await run(
        on,
        update(_TABLE)
        .where(_TABLE.c.id == id, _TABLE.c.state == PENDING)
        .values(lease_until=until),
    )


async def abandon(on: Executor, *, id: int) -> bool:
    """Never work the row (its sender was told nothing was done); False when a worker had
    finished it already."""
    result = await run(
        on,
        update(_TABLE).where(_TABLE.c.id == id, _TABLE.c.state == PENDING).values(state=ABANDONED),
    )
    return bool(result.rowcount)


async def lease(
    on: Executor, *, now: datetime, until: datetime, skip_locked: bool
) -> Leased | None:
    """Take the oldest pending row nobody holds, counting the attempt; None when none is.

    One statement: the row is chosen and taken together (``skip_locked`` on PostgreSQL, so
    two workers choosing at once take different rows)."""
    free = or_(_TABLE.c.lease_until.is_(None), _TABLE.c.lease_until < now)
    chosen = select(_TABLE.c.id).where(_TABLE.c.state == PENDING, free).order_by(_TABLE.c.id)
    chosen = chosen.limit(1).with_for_update(skip_locked=True) if skip_locked else chosen.limit(1)
    statement = (
        update(_TABLE)
        .where(_TABLE.c.id == chosen.scalar_subquery(), free)
        .values(lease_until=until, attempts=_TABLE.c.attempts + 1)
        .returning(_TABLE.c.id, _TABLE.c.key, _TABLE.c.kind, _TABLE.c.body, _TABLE.c.attempts)
    )
    row = (await run(on, statement)).first()
    if row is None:
        return None
    return Leased(id=row.id, key=row.key, kind=row.kind, body=row.body, attempts=row.attempts)


async def finish(on: Executor, *, id: int, state: str, at: datetime) -> None:
    """Worked (``DONE``) or given up (``GAVE_UP``): no worker takes it again."""
    await run(
        on,
        update(_TABLE)
        .where(_TABLE.c.id == id, _TABLE.c.state == PENDING)
        .values(state=state, done_at=at, lease_until=None),
    )


async def prune(on: Executor, *, received_before: datetime) -> int:
    """Forget finished rows received before then; pending ones are kept whatever their age."""
    result = await run(
        on, delete(_TABLE).where(_TABLE.c.state != PENDING, _TABLE.c.received_at < received_before)
    )
    return int(result.rowcount)


async def count(on: Executor, *, state: str) -> int:
    rows = await run(on, select(func.count()).where(_TABLE.c.state == state))
    return int(rows.scalar_one())
