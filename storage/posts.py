"""Post keys: a scheduled message is claimed in the database before it is posted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import PostRow


async def claim(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    subject: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Record ``key``; False when it was already claimed (by us earlier, or another process)."""
    if await session.get(PostRow, key) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                PostRow(key=key, kind=kind, subject=subject, claimed_at=at, detail=detail or {})
            )
            await session.flush()
    except IntegrityError:
        return False
    return True


async def mark_posted(session: AsyncSession, *, key: str, channel: str, ts: str) -> None:
    await session.execute(
        update(PostRow).where(col(PostRow.key) == key).values(channel=channel, ts=ts)
    )


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


async def unrecorded(
    session: AsyncSession, *, kinds: tuple[str, ...], claimed_before: datetime
) -> list[PostRow]:
    """Claims of these kinds, older than ``claimed_before``, whose post was never recorded."""
    statement = (
        select(PostRow)
        .where(
            col(PostRow.kind).in_(kinds),
            col(PostRow.ts).is_(None),
            col(PostRow.claimed_at) < claimed_before,
        )
        .order_by(col(PostRow.claimed_at))
    )
    return list((await session.execute(statement)).scalars().all())


async def in_flight(
    session: AsyncSession, *, subject: str, kinds: tuple[str, ...], since: datetime
) -> bool:
    """Whether a post about ``subject`` was claimed after ``since`` and is not recorded yet."""
    statement = select(PostRow.key).where(
        PostRow.subject == subject,
        col(PostRow.kind).in_(kinds),
        col(PostRow.ts).is_(None),
        col(PostRow.claimed_at) >= since,
    )
    return (await session.execute(statement)).first() is not None
