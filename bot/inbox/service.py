"""Storing a Slack request before its ack: the door's one call into the inbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.clock import Clock
from bot.inbox.job import LEASE
from bot.inbox.model import InboxItem, SlackRequest, Stored
from bot.work.worker import in_background
from storage import inbox as rows
from storage.db import Database

log = logging.getLogger(__name__)

STORE_WITHIN = 2.75
"""Seconds the door waits for the database to take a request: inside Slack's 3 s for the ack,
and past a store that stalls 2.5 s (a failover, a vacuum), which must not cost the request."""


class Inbox:
    """Stores requests for the door. ``run_here``: hands what this door accepts to this
    process's inbox job, which runs it at once; None in a web-only process, whose requests
    the worker processes lease from the table."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        run_here: Callable[[InboxItem], None] | None,
        within: float = STORE_WITHIN,
    ) -> None:
        self._db = db
        self._clock = clock
        self._run_here = run_here
        self._within = within

    async def accept(self, *, request: SlackRequest) -> Stored:
        """Store ``request`` (its key unique: a replay stores nothing) within the bound.

        A store that does not answer in time goes on; if it lands, the row is marked
        abandoned at once, since the sender was told nothing was done. Until then the row is
        held for this door (a lease of ``LEASE``), so no worker starts it meanwhile.
        """
        received = self._clock.now()
        attempts = 0 if self._run_here is None else 1  # handed over here: its first start
        store = asyncio.ensure_future(self._store(request, received=received, attempts=attempts))
        try:
            stored = await asyncio.wait_for(asyncio.shield(store), self._within)
        except Exception as exc:
            self._abandon_when_stored(store)
            reason = f"no answer within {self._within:g}s" if isinstance(exc, TimeoutError) else exc
            log.warning("a Slack %s was not recorded: %s", request.kind, reason)
            return Stored.NOT_RECORDED
        if stored is None:
            log.info("a replayed Slack %s was acknowledged and ignored", request.kind)
            return Stored.REPLAY
        item = InboxItem(
            id=stored, key=request.key, kind=request.kind, body=request.body, attempts=attempts
        )
        if self._run_here is not None:
            self._run_here(item)
        else:
            in_background(self._release(item))
        return Stored.ACCEPTED

    async def _store(
        self, request: SlackRequest, *, received: datetime, attempts: int
    ) -> int | None:
        # Urgent: on SQLite the ack waits for this write, so it goes before the workers'.
        async with self._db.statements(urgent=True) as session:
            return await rows.store(
                session,
                key=request.key,
                kind=request.kind.value,
                body=request.body,
                received_at=received,
                hold_until=received + LEASE,
                attempts=attempts,
            )

    async def _release(self, item: InboxItem) -> None:
        """A web-only door lets the workers take what it stored at once, not at its hold's
        end; if this fails the hold lapses and they take it then."""
        try:
            async with self._db.statements() as session:
                await rows.renew(session, id=item.id, until=None)
        except Exception as exc:
            log.warning("inbox %d stays held until its lease lapses (%s)", item.id, exc)

    def _abandon_when_stored(self, store: asyncio.Future[int | None]) -> None:
        async def abandon() -> None:
            try:
                stored = await store
            except Exception as exc:
                log.info("the request the door gave up on was never stored (%s)", exc)
                return
            if stored is None:
                return  # a replay of a request stored before: that one stands
            try:
                async with self._db.statements() as session:
                    await rows.abandon(session, id=stored)
                log.warning(
                    "inbox %d was stored too late; abandoned, as its sender was told", stored
                )
            except Exception:
                log.error("inbox %d was stored too late and could not be abandoned", stored)

        in_background(abandon())
