"""The inbox job: run each stored Slack request once, on the one worker engine.

A request accepted by this process's door is handed over in memory and run at once, under
the hold its door stored with it; anything else (another door's, or one a dead process had
started) is leased from the table when a look is due. Every lane of the ``Worker`` runs one
request at a time; a lane that finds nothing handed looks in the table at most once a
``poll`` (the lanes share the look), and again at once after a look that found work.

A request started ``MAX_STARTS`` times without finishing is given up (logged as an error):
each start ended with its process, and a request that kills its worker must not kill the
next one too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.inbox.model import InboxItem, RequestKind, RunRequest
from bot.work.worker import holding
from storage import inbox as rows
from storage.db import Database

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=15)
"""How long a request is held by whoever runs it (renewed every third of it while it runs);
a dead process's requests are taken again once it lapses."""
POLL = 0.5
"""Seconds between looks in the table for requests another process stored."""
LANES = 8
"""Requests run at once in one process: a burst queues here, in arrival order, instead of
taking every database connection at once."""
MAX_STARTS = 5
KEEP = timedelta(days=1)
"""Finished requests are kept this long (a replay is refused as stale after 5 minutes)."""
PRUNE_EVERY = timedelta(minutes=1)


def given_up(item: InboxItem) -> bool:
    """Started too many times: each start ended with its process."""
    return item.attempts > MAX_STARTS


class InboxJob:
    name = "inbox"

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        run: RunRequest,
        lease: timedelta = LEASE,
        poll: float = POLL,
    ) -> None:
        self._db = db
        self._clock = clock
        self._run = run
        self._lease = lease
        self._poll = poll
        self._handed: deque[InboxItem] = deque()
        self._look_at = 0.0
        self._pruned_at: datetime | None = None

    def hand(self, item: InboxItem) -> None:
        """A request this process's door just stored (held for it): run it next."""
        self._handed.append(item)

    async def work_due(self) -> int:
        item = self._handed.popleft() if self._handed else await self._look()
        if item is None:
            await self._prune_if_due()
            return 0
        if given_up(item):
            log.error(
                "a Slack %s (inbox %d) was started %d times without finishing; given up",
                item.kind,
                item.id,
                item.attempts - 1,
            )
            await self._finish(item, rows.GAVE_UP)
            return 1
        async with holding(lambda: self._hold(item), lease=self._lease, renew_at_once=False):
            try:
                await self._run(item)
            except Exception:
                # The listeners answer their own failures; this is a failure around them.
                log.exception("a Slack %s (inbox %d) failed to run", item.kind, item.id)
        await self._finish(item, rows.DONE)
        return 1

    async def _look(self) -> InboxItem | None:
        """Lease the oldest request nobody holds, when a look is due."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._look_at:
            return None
        self._look_at = loop.time() + self._poll  # the other lanes wait for the next look
        now = self._clock.now()
        async with self._db.statements() as session:
            leased = await rows.lease(
                session,
                now=now,
                until=now + self._lease,
                skip_locked=self._db.dialect == "postgresql",
            )
        if leased is None:
            return None
        self._look_at = 0.0  # a backlog: the next lane looks at once
        return InboxItem(
            id=leased.id,
            key=leased.key,
            kind=RequestKind(leased.kind),
            body=leased.body,
            attempts=leased.attempts,
        )

    async def _hold(self, item: InboxItem) -> None:
        async with self._db.statements() as session:
            await rows.renew(session, id=item.id, until=self._clock.now() + self._lease)

    async def _finish(self, item: InboxItem, state: str) -> None:
        async with self._db.statements() as session:
            await rows.finish(session, id=item.id, state=state, at=self._clock.now())

    async def _prune_if_due(self) -> None:
        now = self._clock.now()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        async with self._db.statements() as session:
            pruned = await rows.prune(session, received_before=now - KEEP)
        if pruned:
            log.info("forgot %d Slack requests finished over %s ago", pruned, KEEP)
