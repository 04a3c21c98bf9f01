"""Leader election: of several scheduler processes exactly one does the duties.

The leader holds a named lease row in the database (``storage.leases``), renewed every third
of its length; a stand-by takes it once it lapses. One mechanism, whatever Redis is
configured: the database every process already needs decides, so no outage of a second
store can leave two leaders or none. Every post is also owed under a unique key in the
database, so even a leader that lost its lease mid-duty posts nothing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from storage import leases
from storage.db import Database

log = logging.getLogger(__name__)

LEADER_KEY = "artisan-sre:scheduler:leader"


class Leadership(Protocol):
    identity: str

    async def hold(self) -> bool:
        """Acquire or renew; True while this process leads."""
        ...

    async def release(self) -> None: ...


class DatabaseLeader:
    """Leads while it holds the database lease ``key``; the lease has one holder at a time,
    so two processes never lead at once."""

    def __init__(
        self, *, db: Database, clock: Clock, ttl: timedelta, key: str = LEADER_KEY
    ) -> None:
        self._db = db
        self._clock = clock
        self._ttl = ttl
        self._key = key
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._leading = False

    async def hold(self) -> bool:
        try:
            now = self._clock.now()
            async with self._db.transaction(within=self._ttl.total_seconds() / 3) as session:
                leading = await leases.take(
                    session, name=self._key, holder=self.identity, now=now, until=now + self._ttl
                )
        except Exception as exc:
            log.warning("leader lease unavailable (%s: %s); standing by", type(exc).__name__, exc)
            leading = False
        if leading != self._leading:
            log.info(
                "scheduler %s is now %s", self.identity, "leader" if leading else "standing by"
            )
            self._leading = leading
        return leading

    async def release(self) -> None:
        try:
            async with self._db.transaction() as session:
                await leases.give_up(session, name=self._key, holder=self.identity)
        except Exception as exc:
            log.warning("could not give up the leader lease: %s: %s", type(exc).__name__, exc)
