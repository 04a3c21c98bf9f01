"""The ``runs`` job: drive every run whose next step is the bot's, on the one worker engine.

Starting a run (an alert, a button, a command, a drill, the Qwen watch), approving a step or
resuming one stores the decision and returns; this job leases the run (its row's
``lease_until``), keeps the lease while it drives (``holding``) and gives it up after. A run
a stopped or dead worker left inside a step is taken again once its lease is free or lapsed:
a read, a message or an incident is done again; an action whose exact call was stored goes
to a person (needs attention) and is never sent a second time.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock
from bot.runbooks.engine import Restarted, owed
from bot.runbooks.runner import RunDriver
from bot.runbooks.store import BOT, RunStore
from bot.work.worker import holding

log = logging.getLogger(__name__)

RUN_LEASE = timedelta(seconds=15)
"""How long a run stays this worker's after its last renewal (renewed every 5 s)."""
LANES = 4
"""Runs driven at once per process: a run waiting between its checks holds up no other."""


class RunJob:
    """One pass leases one run owed driving and drives it until it ends or waits for a
    person; the worker runs ``LANES`` passes at once."""

    name = "runs"

    def __init__(
        self, *, store: RunStore, driver: RunDriver, clock: Clock, lease: timedelta = RUN_LEASE
    ) -> None:
        self._store = store
        self._driver = driver
        self._clock = clock
        self._lease = lease

    async def work_due(self) -> int:
        run_id = await self._store.take_due(lease=self._lease)
        if run_id is None:
            return 0

        async def renew() -> None:
            await self._store.hold(run_id, until=self._clock.now() + self._lease)

        async def release() -> None:
            await self._store.hold(run_id, until=None)

        async with holding(renew, lease=self._lease, release=release):
            await self._drive(run_id)
        return 1

    async def _drive(self, run_id: str) -> None:
        run = await self._store.get(run_id)
        commands = owed(run, now=self._clock.now())
        if commands is None:  # not started yet, or an action that may have gone out
            log.info("%s: taken up after a restart (%s)", run.id, run.state.label)
            await self._driver.advance_and_drive(
                run, Restarted(), actor=BOT, action="runbook.recover"
            )
            return
        await self._driver.drive(run, commands)
