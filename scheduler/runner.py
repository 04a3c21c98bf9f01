"""The scheduler loop: APScheduler ticks the duties while this process holds leadership."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from scheduler.duties import Duties
from scheduler.leader import Leadership

log = logging.getLogger(__name__)

STOP_WITHIN = 5.0
"""Seconds a stop waits for the tick under way (a chase of many incidents takes a while)."""


class SchedulerRunner:
    """Ticks the duties while leading. ``ticked`` is told of every tick that ran them all;
    the composition root counts those on /metrics, where they show the scheduler had its
    chance."""

    def __init__(
        self,
        *,
        duties: Duties,
        leadership: Leadership,
        clock: Clock,
        tick: timedelta,
        leader_ttl: timedelta,
        stop_within: float = STOP_WITHIN,
        ticked: Callable[[datetime], None] = lambda at: None,
    ) -> None:
        self._duties = duties
        self._leadership = leadership
        self._clock = clock
        self._tick = tick
        self._renew_every = leader_ttl / 3
        self._leading = False
        self._stopping = False
        # A tick and a lease renewal each run under their lock, so stop() can wait for them:
        # APScheduler's own shutdown would cancel them mid-transaction.
        self._ticking = asyncio.Lock()
        self._holding = asyncio.Lock()
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._first_tick: asyncio.Task[None] | None = None
        self._stop_within = stop_within
        self._ticked = ticked

    async def _hold(self) -> None:
        if self._stopping:
            return
        async with self._holding:
            self._leading = await self._leadership.hold()

    async def _run_duties(self) -> None:
        if self._stopping or not self._leading or self._ticking.locked():
            return
        async with self._ticking:
            try:
                now = self._clock.now()
                await self._duties.tick(now)
                self._ticked(now)
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                # stop() gave up waiting: what this tick had not owed yet, the next one owes.
                log.info("stopped in the middle of a tick")
                return

    async def tick_now(self) -> dict[str, object]:
        """Run every duty once at the clock's now, after any tick under way (the sandbox's
        time controls: a skip ahead shows its effect at once)."""
        async with self._ticking:
            now = self._clock.now()
            outcome = await self._duties.tick(now)
        self._ticked(now)
        return outcome

    async def start(self) -> None:
        """Take leadership if free and start ticking; a first tick runs at once."""
        await self._hold()
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        self._scheduler.add_job(
            self._hold, "interval", seconds=self._renew_every.total_seconds(), **common
        )
        self._scheduler.add_job(
            self._run_duties, "interval", seconds=self._tick.total_seconds(), **common
        )
        self._scheduler.start()
        self._first_tick = asyncio.get_running_loop().create_task(self._run_duties())
        log.info(
            "scheduler started (%s), duties: %s",
            self._leadership.identity,
            ", ".join(self._duties.names),
        )

    async def stop(self) -> None:
        """Stop ticking, let a tick and a lease renewal under way finish (for up to
        ``stop_within`` seconds, then cut them short), then step down."""
        self._stopping = True
        self._scheduler.pause()
        try:
            async with asyncio.timeout(self._stop_within):
                if self._first_tick is not None:
                    await self._first_tick
                async with self._ticking, self._holding:
                    pass
        except TimeoutError:
            log.warning(
                "a tick was still running %.0f s after the stop: cutting it short",
                self._stop_within,
            )
        # Cancels a job still under way (only after the wait above gave up).
        self._scheduler.shutdown(wait=False)
        async with self._ticking, self._holding:
            await self._leadership.release()
