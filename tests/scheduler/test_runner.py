"""Stopping the scheduler: a tick under way finishes its work instead of being cut mid-write;
and every tick it completes is counted where an operator (or a test) can see it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from bot.clock import FixedClock
from scheduler.duties import Duties, Duty
from scheduler.leader import DatabaseLeader
from scheduler.runner import SchedulerRunner
from storage.db import Database
from tests.scheduler.conftest import World
from tests.support.progress import let_the_loop_turn, progress


def _runner(
    name: str, duty: Duty, clock: FixedClock, db: Database, **options: float
) -> SchedulerRunner:
    """One duty ticked every 50 ms by the one scheduler, leading by the database lease."""
    return SchedulerRunner(
        duties=Duties([(name, duty)]),
        leadership=DatabaseLeader(db=db, clock=clock, ttl=timedelta(seconds=30)),
        clock=clock,
        tick=timedelta(milliseconds=50),
        leader_ttl=timedelta(seconds=30),
        **options,
    )


async def test_stopping_lets_the_tick_under_way_finish(
    clock: FixedClock, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    started, finished = asyncio.Event(), []
    release = asyncio.Event()
    calls = []

    cancelled = []

    async def slow_write(now: datetime) -> str:
        calls.append(now)
        if len(calls) == 1:
            return "the first tick, at start"
        started.set()  # a tick of the interval, which APScheduler runs
        try:
            await release.wait()  # as a commit in flight would
        except asyncio.CancelledError:
            cancelled.append(now)
            raise
        finished.append(now)
        return "written"

    runner = _runner("slow write", slow_write, clock, db)
    await runner.start()
    await asyncio.wait_for(started.wait(), timeout=5)
    stopping = asyncio.create_task(runner.stop())
    await let_the_loop_turn()  # a stop that cancelled the tick would have ended by now
    # It waits for the write rather than cancelling it.
    assert not stopping.done() and cancelled == []
    release.set()
    await asyncio.wait_for(stopping, timeout=5)

    # The write finished, once; no tick began after stop().
    assert finished == [clock.now()] and len(calls) == 2
    assert "raised an exception" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_tick_that_outlasts_the_stop_is_cut_short_without_a_traceback(
    clock: FixedClock, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ticks: list[datetime] = []
    stuck = asyncio.Event()

    async def endless(now: datetime) -> None:
        ticks.append(now)
        if len(ticks) > 1:
            stuck.set()
            await asyncio.Event().wait()  # a chase of thousands of incidents, say

    runner = _runner("endless", endless, clock, db, stop_within=0.3)
    await runner.start()
    await asyncio.wait_for(stuck.wait(), timeout=5)
    await asyncio.wait_for(runner.stop(), timeout=5)  # a stop always ends

    assert "cutting it short" in caplog.text
    assert "Traceback" not in caplog.text and "raised an exception" not in caplog.text


@pytest.mark.engine
async def test_every_completed_tick_and_outbox_pass_is_counted_on_metrics(world: World) -> None:
    runner = world.container.scheduler_runner()
    before = await progress(world.url)
    await runner.tick_now()
    await runner.tick_now()
    await world.deliver()
    after = await progress(world.url)
    assert after.ticks == before.ticks + 2
    assert after.passes > before.passes
