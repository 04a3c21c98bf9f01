"""The outbox: posts the bot owes Slack, written in the transaction that decided them.

A row is *pending* until a deliverer sends it and records where it went (*sent*), or gives
up on it (*dropped*: nothing to say any more; *failed*: Slack refused it for good). A
deliverer takes rows by leasing them (``lease_until``) in one conditional UPDATE, so two
processes never send the same row at once, and sends them with no transaction open.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Table, bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql import select as select_columns
from sqlmodel import Field, SQLModel, col, select

from storage.db import Executor, dialect_of, insert_in, run
from storage.types import UTCDateTime


class PostRow(SQLModel, table=True):
    """A message the bot owes Slack: the outbox (written in the transaction that decided it).

    The key names what the post is for (``reminder:INC-…:2026-10-14T10:45:00Z``), so a
    decision taken twice (two schedulers, a retried request) owes one post. A deliverer
    leases a pending row, sends it with no transaction open, then records where it went.
    ``thread_key`` names the post this one replies under: it waits until that one is out.
    """

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_kind_subject", "kind", "subject", "claimed_at"),
        Index("ix_posts_state_due", "state", "next_attempt_at"),
    )

    key: str = Field(sa_column=Column(String(255), primary_key=True))
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    subject: str = Field(sa_column=Column(String(128), nullable=False))
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    channel: str | None = None
    ts: str | None = None
    state: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    thread_key: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    attempts: int = 0
    # Bumped each time an edit is owed again: a send begun before the bump is not the last.
    generation: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = None


POSTS: Table = PostRow.__table__  # type: ignore[attr-defined]
PENDING, SENT, DROPPED, FAILED = "pending", "sent", "dropped", "failed"
DECIDED = "decided"
"""A decision kept under its key that posts nothing (a first status seen, a silent handoff)."""


@dataclass(frozen=True)
class Owed:
    """A post to owe, as ``owe`` takes it; ``owe_all`` takes several."""

    key: str
    kind: str
    subject: str
    at: datetime
    channel: str | None = None
    detail: dict[str, Any] | None = None
    thread_key: str | None = None
    state: str = PENDING


async def owe(on: Executor, post: Owed) -> bool:
    """Owe ``post``; False when it was owed already (by us earlier, or another process).

    ``state=DECIDED`` records a decision that posts nothing (a first status seen, say) so
    the same decision is not taken again.
    """
    return bool(await owe_all(on, [post]))


async def owe_all(on: Executor, posts: Sequence[Owed]) -> set[str]:
    """Owe ``posts`` in one statement; the keys that were not owed already."""
    if not posts:
        return set()
    rows = [
        {
            "key": post.key,
            "kind": post.kind,
            "subject": post.subject[:128],
            "claimed_at": post.at,
            "detail": post.detail or {},
            "channel": post.channel,
            "thread_key": post.thread_key,
            "state": post.state,
            "attempts": 0,
            "generation": 0,
        }
        for post in posts
    ]
    return set((await run(on, _owe(dialect_of(on)), rows)).scalars().all())


@cache
def _owe(dialect: str) -> Executable:
    # A key owed already (by us earlier, or by another process a moment ago) inserts
    # nothing, and no error aborts the caller's transaction.
    return (
        insert_in(dialect, POSTS)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(POSTS.c.key)
    )


async def owe_again(on: Executor, post: Owed) -> None:
    """Owe an idempotent post (bring a message up to date) once more; edits coalesce.

    Several changes before the deliverer comes round make one ``chat.update``, rendered
    from the facts of the latest (``detail`` is replaced).
    """
    if not await owe(on, post):
        await run(
            on,
            update(POSTS)
            .where(POSTS.c.key == post.key)
            .values(
                state=PENDING,
                detail=post.detail or {},
                next_attempt_at=None,
                last_error=None,
                generation=POSTS.c.generation + 1,
            ),
        )


@dataclass(frozen=True)
class Thread:
    """The post a due one replies under: whether it is out yet, and where it went."""

    key: str
    subject: str
    state: str
    attempts: int
    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class Due:
    """A pending post whose time has come, as a pass reads it to choose what to lease."""

    key: str
    subject: str
    attempts: int
    thread: Thread | None


@dataclass(frozen=True)
class Leased:
    """A post taken for delivery; ``attempts`` counts this one."""

    key: str
    kind: str
    subject: str
    claimed_at: datetime
    channel: str | None
    detail: dict[str, Any]
    attempts: int
    generation: int


_PARENT = POSTS.alias("parent")
_DUE = (
    select_columns(
        POSTS.c.key,
        POSTS.c.subject,
        POSTS.c.attempts,
        _PARENT.c.key.label("parent_key"),
        _PARENT.c.subject.label("parent_subject"),
        _PARENT.c.state.label("parent_state"),
        _PARENT.c.attempts.label("parent_attempts"),
        _PARENT.c.channel.label("parent_channel"),
        _PARENT.c.ts.label("parent_ts"),
    )
    .select_from(POSTS.outerjoin(_PARENT, _PARENT.c.key == POSTS.c.thread_key))
    .where(
        POSTS.c.state == PENDING,
        or_(POSTS.c.next_attempt_at.is_(None), POSTS.c.next_attempt_at <= bindparam("now")),
        or_(POSTS.c.lease_until.is_(None), POSTS.c.lease_until < bindparam("now")),
        POSTS.c.key.not_in(bindparam("excluding", expanding=True)),
    )
    .order_by(POSTS.c.claimed_at, POSTS.c.key)
    .limit(bindparam("limit"))
)
_LEASE = (
    update(POSTS)
    .where(
        POSTS.c.key.in_(bindparam("keys", expanding=True)),
        POSTS.c.state == PENDING,
        or_(POSTS.c.lease_until.is_(None), POSTS.c.lease_until < bindparam("now")),
    )
    .values(lease_until=bindparam("until"), attempts=POSTS.c.attempts + 1)
    .returning(
        POSTS.c.key,
        POSTS.c.kind,
        POSTS.c.subject,
        POSTS.c.claimed_at,
        POSTS.c.channel,
        POSTS.c.detail,
        POSTS.c.attempts,
        POSTS.c.generation,
    )
)


async def due(
    on: Executor, *, now: datetime, limit: int, excluding: Collection[str] = ()
) -> list[Due]:
    """Pending rows whose time has come and that nobody holds, oldest first, each with the
    post it replies under (its ``thread_key``), if any: one statement."""
    parameters = {"now": now, "limit": limit, "excluding": list(excluding)}
    found = []
    for row in await run(on, _DUE, parameters):
        thread = None
        if row.parent_key is not None:
            thread = Thread(
                key=row.parent_key,
                subject=row.parent_subject,
                state=row.parent_state,
                attempts=row.parent_attempts,
                channel=row.parent_channel,
                ts=row.parent_ts,
            )
        found.append(Due(key=row.key, subject=row.subject, attempts=row.attempts, thread=thread))
    return found


async def lease_all(
    on: Executor, keys: Collection[str], *, now: datetime, until: datetime
) -> list[Leased]:
    """Take the posts ``keys`` for delivery until ``until``, in one statement; those another
    deliverer took meanwhile are left out. Oldest first."""
    if not keys:
        return []
    taken = await run(on, _LEASE, {"keys": list(keys), "now": now, "until": until})
    rows = [Leased(**row._mapping) for row in taken]
    return sorted(rows, key=lambda row: (row.claimed_at, row.key))


@dataclass(frozen=True)
class Sent:
    """A post that went out, as ``record_sent`` takes it: ``channel`` and ``ts`` say where
    (None for what has no address, an ephemeral answer)."""

    key: str
    generation: int
    channel: str | None
    ts: str | None


# Bound parameters of the two records below, named apart from the columns they set.
_SENT_AS_OF = (
    update(POSTS)
    .where(POSTS.c.key == bindparam("sent_key"), POSTS.c.generation == bindparam("sent_generation"))
    .values(state=SENT, channel=bindparam("sent_channel"), ts=bindparam("sent_ts"))
    .values(lease_until=None, last_error=None)
)
_SENT_BEFORE_NEWER = (
    update(POSTS)
    .where(POSTS.c.key == bindparam("sent_key"), POSTS.c.generation != bindparam("sent_generation"))
    .values(lease_until=None, channel=bindparam("sent_channel"), ts=bindparam("sent_ts"))
)


async def record_sent(on: Executor, posts: Sequence[Sent]) -> None:
    """Each post sent, as of its ``generation``, in one statement; an edit owed again
    meanwhile stays pending (sent anew), with where it is now remembered."""
    if not posts:
        return
    parameters = [
        {
            "sent_key": post.key,
            "sent_generation": post.generation,
            "sent_channel": post.channel,
            "sent_ts": post.ts,
        }
        for post in posts
    ]
    recorded = await run(on, _SENT_AS_OF, parameters)
    if recorded.rowcount < len(posts):
        # Some were owed again while they were sent: they stay pending, no longer leased.
        await run(on, _SENT_BEFORE_NEWER, parameters)


async def release(on: Executor, keys: Collection[str]) -> None:
    """Give back posts leased for a pass that did not attempt them (what they reply under
    did not go out): no attempt is counted, the next pass may take them."""
    if keys:
        statement = (
            update(POSTS)
            .where(POSTS.c.key.in_(list(keys)))
            .values(lease_until=None, attempts=POSTS.c.attempts - 1)
        )
        await run(on, statement)


async def record_failure(
    session: AsyncSession, *, key: str, error: str, retry_at: datetime | None
) -> None:
    """A failed attempt: try again at ``retry_at``, or never (``None``: failed for good)."""
    values: dict[str, Any] = {"lease_until": None, "last_error": error[:500]}
    if retry_at is None:
        values["state"] = FAILED
    else:
        values["next_attempt_at"] = retry_at
    await session.execute(update(PostRow).where(col(PostRow.key) == key).values(**values))


async def drop(session: AsyncSession, *, key: str, reason: str) -> None:
    await session.execute(
        update(PostRow)
        .where(col(PostRow.key) == key)
        .values(state=DROPPED, lease_until=None, last_error=reason[:500])
    )


async def drop_pending(
    session: AsyncSession, *, subject: str, kinds: Sequence[str], now: datetime
) -> None:
    """Drop posts about ``subject`` that nobody is sending right now (an ack stops reminders)."""
    await session.execute(
        update(PostRow)
        .where(
            col(PostRow.subject) == subject,
            col(PostRow.kind).in_(list(kinds)),
            col(PostRow.state) == PENDING,
            or_(col(PostRow.lease_until).is_(None), col(PostRow.lease_until) < now),
        )
        .values(state=DROPPED, last_error="no longer due")
    )


async def in_flight(
    session: AsyncSession, *, subject: str, kinds: Sequence[str], now: datetime
) -> bool:
    """Whether a deliverer is sending a post about ``subject`` right now."""
    statement = select(PostRow.key).where(
        PostRow.subject == subject,
        col(PostRow.kind).in_(list(kinds)),
        PostRow.state == PENDING,
        col(PostRow.lease_until) >= now,
    )
    return (await session.execute(statement)).first() is not None


async def sent(session: AsyncSession, *, subject: str, kinds: Sequence[str]) -> list[PostRow]:
    """The posts about ``subject`` of ``kinds`` that are out, oldest first."""
    statement = (
        select(PostRow)
        .where(
            PostRow.subject == subject,
            col(PostRow.kind).in_(list(kinds)),
            PostRow.state == SENT,
        )
        .order_by(col(PostRow.claimed_at))
    )
    return list((await session.execute(statement)).scalars().all())


async def get(session: AsyncSession, key: str) -> PostRow | None:
    return await session.get(PostRow, key)


async def latest(session: AsyncSession, *, kind: str, subject: str) -> PostRow | None:
    statement = (
        select(PostRow)
        .where(PostRow.kind == kind, PostRow.subject == subject)
        .order_by(col(PostRow.claimed_at).desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalars().first()


async def of_kind(session: AsyncSession, *, kind: str, subject: str | None = None) -> list[PostRow]:
    statement = select(PostRow).where(PostRow.kind == kind).order_by(col(PostRow.claimed_at))
    if subject is not None:
        statement = statement.where(PostRow.subject == subject)
    return list((await session.execute(statement)).scalars().all())


async def count_pending(session: AsyncSession) -> int:
    statement = select(PostRow.key).where(PostRow.state == PENDING)
    return len((await session.execute(statement)).all())
