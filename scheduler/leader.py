"""Leader election: of several scheduler processes exactly one does the duties.

A Redis key with a TTL names the leader; the leader renews it well within the TTL and a
stand-by takes it over once it expires. Losing the key mid-duty is harmless: every post is
claimed under a unique key in the database, so two leaders still post nothing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Protocol

from redis.asyncio import Redis

from bot.logs import FailureSummary

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
    def __init__(self, redis: Redis, *, ttl: timedelta, key: str = LEADER_KEY) -> None:
        self._redis = redis
        self._key = key
        self._ttl_ms = int(ttl.total_seconds() * 1000)
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._leading = False
        at = redis.connection_pool.connection_kwargs
        self._outage = FailureSummary(log, f"Redis at {at.get('host')}:{at.get('port')}")

    async def hold(self) -> bool:
        try:
            renewed = await self._redis.eval(_RENEW, 1, self._key, self.identity, self._ttl_ms)
            leading = bool(renewed) or bool(
                await self._redis.set(self._key, self.identity, nx=True, px=self._ttl_ms)
            )
        except Exception as exc:
            self._outage.failed(f"{type(exc).__name__}: {exc}; standing by until it answers")
            leading = False
        else:
            self._outage.recovered()
        if leading != self._leading:
            log.info(
                "scheduler %s is now %s", self.identity, "leader" if leading else "standing by"
            )
            self._leading = leading
        return leading

    async def release(self) -> None:
        try:
            await self._redis.eval(_RELEASE, 1, self._key, self.identity)
        except Exception as exc:
            log.warning("could not release the leader key: %s: %s", type(exc).__name__, exc)
