"""Signatures already served are remembered for ``REMEMBER``: in Redis when configured, else
in the database (both engines), and forgotten after."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from storage.db import Database
from storage.replays import REMEMBER, DatabaseSeenRequests, RedisSeenRequests

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def test_the_database_remembers_a_signature_for_its_window(db: Database) -> None:
    seen = DatabaseSeenRequests(db)
    assert await seen.first_time("v0=abc", now=NOW)
    assert not await seen.first_time("v0=abc", now=NOW + REMEMBER / 2)
    assert await seen.first_time("v0=def", now=NOW)
    # Past the window the row is deleted by the next request, and the signature is new again
    # (a replay that late would be refused as stale before it got here).
    assert await seen.first_time("v0=abc", now=NOW + REMEMBER)


async def test_redis_remembers_with_an_expiry_and_the_database_stands_in(db: Database) -> None:
    signature = f"v0={uuid.uuid4().hex}"
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        seen = RedisSeenRequests(redis, fallback=DatabaseSeenRequests(db))
        assert await seen.first_time(signature, now=NOW)
        assert not await seen.first_time(signature, now=NOW)
        ttl = await redis.pttl(f"artisan:slack-request:{signature}")
        assert 0 < ttl <= REMEMBER.total_seconds() * 1000
    finally:
        await redis.aclose()
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        unreachable = RedisSeenRequests(gone, fallback=DatabaseSeenRequests(db))
        assert await unreachable.first_time(signature, now=NOW)
        assert not await unreachable.first_time(signature, now=NOW)
    finally:
        await gone.aclose()
