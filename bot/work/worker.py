"""The one engine every kind of background work runs on: the inbox, the outbox, alert
notifications and runbook runs.

A kind of work is a ``Job``: one pass leases what is due (a row lease in the database, so
processes never take the same item), works it and records it, and says how many items it
did. The ``Worker`` around it is written once, for all kinds:

- **wake-up**: a pass at start (what a dead process left), on ``kick`` (something was just
  stored here) and every ``poll`` seconds (what another process stored, or a lease lapsed);
  after a pass that did something, the next one at once (a backlog drains without polls);
- **failure**: a pass that raises is logged as the job's outage, once and then every five
  minutes (``FailureSummary``), and the next pass waits ``backoff`` (1 s, 2 s … 10 s);
- **lanes**: one pass at a time by default, so what came first is done first; a job whose
  items are long (a run waiting between its checks) takes ``lanes`` passes at once, each
  leasing its own item, so one slow item does not hold up the next;
- **stop**: one cancel (of each lane), then a wait of up to ``STOP_WITHIN`` for the pass to end. Never a
  second cancel: it could land in the driver's cleanup of the first (on SQLite a close that
  never ends). What the pass had leased and not finished stays owed: its lease lapses and
  the next process (or this one, started again) takes it.

``holding`` keeps one long item's lease alive while it is worked (a runbook run waiting
between its checks), renewing it every third of its length.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Protocol

from bot.logs import FailureSummary

log = logging.getLogger(__name__)

STOP_WITHIN = 40.0
"""Seconds a stop waits for the pass after its one cancel: past the database's own bound
(30 s on SQLite), so a pass cut short inside a database call gets to end."""
MAX_BACKOFF = timedelta(seconds=10)

# Work started and not awaited (a store that outlived its wait, an answer on its way), kept
# until it ends: the event loop holds tasks only weakly.
_BACKGROUND: set[asyncio.Task[None]] = set()


def in_background(work: Coroutine[object, object, None]) -> None:
    """Run ``work`` on its own, without waiting for it; it catches and logs its own errors."""
    task = asyncio.get_running_loop().create_task(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


def backoff(failures: int) -> timedelta:
    """1 s, 2 s, 4 s, 8 s, then every 10 s."""
    return min(timedelta(seconds=2 ** max(failures - 1, 0)), MAX_BACKOFF)


class Job(Protocol):
    """One kind of leased work."""

    @property
    def name(self) -> str:
        """What the logs and the task call it: ``inbox``, ``outbox``, ``alerts``, ``runs``."""
        ...

    async def work_due(self) -> int:
        """One pass: lease what is due, work it, record it; how many items were done."""
        ...


class Worker:
    """Runs one ``Job`` in this process until stopped."""

    def __init__(
        self,
        job: Job,
        *,
        poll: float = 1.0,
        passed: Callable[[], None] | None = None,
        dependency: str | None = None,
        lanes: int = 1,
    ) -> None:
        """``passed`` is told of every pass that ended (counted on /metrics);
        ``dependency`` names what a failing pass is logged as (default: the job's database);
        ``lanes``: how many passes may run at once in this process."""
        self._job = job
        self._poll = poll
        self._passed = passed
        self._failures = FailureSummary(log, dependency or f"the {job.name} job's database")
        self._idle: list[asyncio.Event] = []  # the lanes waiting for a kick or their poll
        self._kicked = False  # a kick no lane was waiting for: the next to finish passes again
        self._lanes = lanes
        self._passes = asyncio.Semaphore(lanes)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._failed_passes = 0

    @property
    def name(self) -> str:
        return self._job.name

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def kick(self) -> None:
        """Something was just stored for this job: work it now rather than at the next poll.
        One lane wakes per kick (a burst of kicks wakes as many), not every lane for one
        item."""
        if self._idle:
            self._idle.pop().set()
        else:
            self._kicked = True

    async def work_due(self) -> int:
        """One pass; never more than ``lanes`` at once in this process."""
        async with self._passes:
            done = await self._job.work_due()
        if self._passed is not None:
            self._passed()
        return done

    async def drain(self, *, within: float) -> int:
        """Pass until a pass finds nothing (or ``within`` seconds passed): the CLI's last
        word, shutdown, and what tests wait for."""
        done = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            did = await self.work_due()
            done += did
            if not did:
                break
        return done

    def start(self) -> None:
        """Pass now (what a dead process left), then on every kick and poll."""
        if not self._tasks:
            self._stopping = False
            loop = asyncio.get_running_loop()
            self._tasks = [
                loop.create_task(self._run(), name=self.name if n == 0 else f"{self.name}-{n}")
                for n in range(self._lanes)
            ]

    async def stop(self, *, within: float = STOP_WITHIN) -> None:
        """Cancel each lane once and wait up to ``within`` for them all to end."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        self._stopping = True
        for task in tasks:
            task.cancel()
        done, pending = await asyncio.wait(tasks, timeout=within)
        if pending:
            log.warning("the %s worker did not end within %gs of its stop", self.name, within)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.warning("the %s worker ended with %r", self.name, task.exception())

    async def _run(self) -> None:
        wake = asyncio.Event()
        while not self._stopping:
            wake.clear()
            wait = self._poll
            try:
                done = await self.work_due()
            except Exception as exc:
                self._failed_passes += 1
                self._failures.failed(f"{type(exc).__name__}: {exc}", error=exc)
                wait = backoff(self._failed_passes).total_seconds()
            else:
                self._failed_passes = 0
                self._failures.recovered()
                if done:
                    continue  # a backlog: the next pass at once
                if self._kicked:
                    self._kicked = False
                    continue  # kicked while every lane was passing
            self._idle.append(wake)
            try:
                with suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await wake.wait()
            finally:
                if wake in self._idle:
                    self._idle.remove(wake)


@asynccontextmanager
async def holding(
    renew: Callable[[], Awaitable[None]],
    *,
    lease: timedelta,
    release: Callable[[], Awaitable[None]] | None = None,
    renew_at_once: bool = True,
) -> AsyncIterator[None]:
    """Keep an item's lease while the block runs: ``renew`` now (unless the item was just
    leased: ``renew_at_once`` False) and every third of ``lease``; ``release`` on the way
    out (a stopped process gives the item up at once; a dead one stops renewing and the
    lease lapses)."""

    async def keep_renewing() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                await renew()
            except Exception as exc:
                log.warning("a lease could not be renewed (%s); it may lapse", exc)

    if renew_at_once:
        await renew()
    renewer = asyncio.get_running_loop().create_task(keep_renewing())
    try:
        yield
    finally:
        renewer.cancel()
        with suppress(asyncio.CancelledError):
            await renewer
        if release is not None:
            try:
                await release()
            except Exception as exc:
                log.warning("a lease could not be given up (%s); it lapses", exc)


class Wakeup:
    """Tells a worker that something was stored for it, once the worker exists: services
    are built before the workers that serve them (one per composition root and job)."""

    def __init__(self) -> None:
        self._ring: Callable[[], None] | None = None

    def attach(self, ring: Callable[[], None]) -> None:
        self._ring = ring

    def __call__(self) -> None:
        if self._ring is not None:
            self._ring()
