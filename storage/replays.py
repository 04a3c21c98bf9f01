"""Signed Slack requests already served: a replay of one (same signature) is seen here.

Slack signs ``v0:{timestamp}:{body}`` and the bot refuses a timestamp more than five minutes
from its clock, so a signature can only be replayed within ten minutes of its first use.
Each is remembered for ``REMEMBER`` (those ten minutes and a margin for clock drift): in
Redis when it is configured (a key with that expiry), else in the ``slack_requests_seen``
table, where an expired row is taken over by its signature's next use and all expired rows
are deleted at most once a minute.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import Column, Index, String, delete
from sqlmodel import Field, SQLModel, col

from storage.db import Database, insert_into
from storage.types import UTCDateTime


class SeenRequestRow(SQLModel, table=True):
    """A signed Slack request already served, kept until a replay of it would be refused as
    stale anyway."""

    __tablename__ = "slack_requests_seen"
    __table_args__ = (Index("ix_slack_requests_seen_forget_at", "forget_at"),)

    signature: str = Field(sa_column=Column(String(128), primary_key=True))
    forget_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


log = logging.getLogger(__name__)

REMEMBER = timedelta(minutes=15)
CLEAN_EVERY = timedelta(minutes=1)


class SeenRequests(Protocol):
    async def first_time(self, signature: str, *, now: datetime) -> bool:
        """Remember ``signature``; False when it was remembered already (a replay)."""
        ...


class DatabaseSeenRequests:
    """The table ``slack_requests_seen``: a unique key per signature."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cleaned_at: datetime | None = None

    async def first_time(self, signature: str, *, now: datetime) -> bool:
        async with self._db.autocommit() as session:
            if self._cleaned_at is None or now - self._cleaned_at >= CLEAN_EVERY:
                await session.execute(
                    delete(SeenRequestRow).where(SeenRequestRow.forget_at <= now)  # type: ignore[arg-type]
                )
                self._cleaned_at = now
            # One statement: a new signature is inserted, an expired one taken over, and one
            # still remembered changes nothing (no row returned: a replay).
            insert = insert_into(session, SeenRequestRow).values(
                signature=signature, forget_at=now + REMEMBER
            )
            result = await session.execute(
                insert.on_conflict_do_update(
                    index_elements=["signature"],
                    set_={"forget_at": insert.excluded.forget_at},
                    where=col(SeenRequestRow.forget_at) <= now,
                ).returning(col(SeenRequestRow.signature))
            )
            return result.first() is not None


class RedisSeenRequests:
    """A Redis key per signature with ``REMEMBER`` as its expiry; the database while Redis
    cannot be reached, so a Redis outage does not stop Slack requests."""

    def __init__(self, redis: Redis, *, fallback: DatabaseSeenRequests) -> None:
        self._redis = redis
        self._fallback = fallback

    async def first_time(self, signature: str, *, now: datetime) -> bool:
        try:
            stored = await self._redis.set(
                f"artisan:slack-request:{signature}",
                "1",
                nx=True,
                px=int(REMEMBER.total_seconds() * 1000),
            )
        except (RedisError, OSError) as exc:
            log.warning("Redis unreachable (%s); replays checked in the database", exc)
            return await self._fallback.first_time(signature, now=now)
        return bool(stored)
