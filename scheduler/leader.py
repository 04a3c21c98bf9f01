"""Leader election: of several scheduler processes exactly one does the duties.

A Redis key with a TTL names the leader; the leader renews it well within the TTL and a
stand-by takes it over once it expires. A lease row in the database, renewed with the key,
decides alone while Redis cannot be reached (see RedisLeader). Every post is also owed under
a unique key in the database, so even a leader that lost its key mid-duty posts nothing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Protocol

from redis.asyncio import Redis

from bot.clock import Clock
from bot.logs import FailureSummary
from storage import leases
from storage.db import Database

log = logging.getLogger(__name__)

LEADER_KEY = "artisan-sre:scheduler:leader"

# Extend the TTL only while the key still names us; delete only our own key.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class Leadership(Protocol):
    identity: str

    async def hold(self) -> bool:
        """Acquire or renew; True while this process leads."""
        ...

    async def release(self) -> None: ...


class SoleLeader:
    """Without Redis there is one scheduler (``serve --with-scheduler``): it always leads."""

    identity = "sole"

    async def hold(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class RedisLeader:
    """Leads while it holds the Redis key *and* the database lease of the same name.

    The Redis key is the fast path; the database lease (``storage.leases``) is the arbiter,
    renewed by the leader at every hold. While Redis cannot be reached, leadership goes by
    the database lease alone, so reminders and escalations keep going out. A process leads
    only while it holds the lease, and the lease has one holder at a time, so two processes
    never lead at once, whatever each of them can or cannot reach.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        ttl: timedelta,
        db: Database,
        clock: Clock,
        key: str = LEADER_KEY,
    ) -> None:
        self._redis = redis
        self._db = db
        self._clock = clock
        self._key = key
        self._ttl = ttl
        self._ttl_ms = int(ttl.total_seconds() * 1000)
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._leading = False
        self._by_database = False
        at = redis.connection_pool.connection_kwargs
        self._outage = FailureSummary(log, f"Redis at {at.get('host')}:{at.get('port')}")

    async def _redis_says(self) -> bool | None:
        """True: we hold the Redis key; False: another does; None: Redis cannot be asked."""
        try:
            renewed = await self._redis.eval(_RENEW, 1, self._key, self.identity, self._ttl_ms)
            holds = bool(renewed) or bool(
                await self._redis.set(self._key, self.identity, nx=True, px=self._ttl_ms)
            )
        except Exception as exc:
            self._outage.failed(
                f"{type(exc).__name__}: {exc}; leadership goes by the database lease meanwhile"
            )
            return None
        self._outage.recovered()
        return holds

    async def hold(self) -> bool:
        redis_says = await self._redis_says()
        try:
            if redis_says is False:  # another process holds the key: it leads
                if self._leading:
                    await self._give_up_lease()
                leading = False
            else:
                now = self._clock.now()
                async with self._db.transaction(within=self._ttl.total_seconds() / 3) as session:
                    leading = await leases.take(
                        session,
                        name=self._key,
                        holder=self.identity,
                        now=now,
                        until=now + self._ttl,
                    )
        except Exception as exc:
            log.warning("leader lease unavailable (%s: %s); standing by", type(exc).__name__, exc)
            leading = False
        by_database = leading and redis_says is None
        if leading != self._leading or by_database != self._by_database:
            how = " by the database lease (Redis unreachable)" if by_database else ""
            state = f"leader{how}" if leading else "standing by"
            log.info("scheduler %s is now %s", self.identity, state)
            self._leading, self._by_database = leading, by_database
        return leading

    async def _give_up_lease(self) -> None:
        async with self._db.transaction() as session:
            await leases.give_up(session, name=self._key, holder=self.identity)

    async def release(self) -> None:
        try:
            await self._redis.eval(_RELEASE, 1, self._key, self.identity)
        except Exception as exc:
            log.warning("could not release the leader key: %s: %s", type(exc).__name__, exc)
        try:
            await self._give_up_lease()
        except Exception as exc:
            log.warning("could not give up the leader lease: %s: %s", type(exc).__name__, exc)
