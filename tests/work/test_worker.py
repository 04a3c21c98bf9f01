"""The one worker engine: wake-up on kick, drain, backoff after a failing pass, bounded stop."""

from __future__ import annotations

import asyncio

from bot.work.worker import Worker, backoff
from tests.support.progress import eventually


class Items:
    """A job over ``owed`` items, one per pass; a pass may fail or hang on purpose."""

    name = "items"

    def __init__(self, owed: int = 0, *, failures: int = 0) -> None:
        self.owed = owed
        self.failures = failures
        self.passes = 0
        self.passed = asyncio.Event()
        self.hang: asyncio.Event | None = None

    async def work_due(self) -> int:
        self.passes += 1
        self.passed.set()
        if self.hang is not None:
            await asyncio.shield(self.hang.wait())  # a pass that ignores its cancel
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database unreachable")
        if not self.owed:
            return 0
        self.owed -= 1
        return 1


def test_backoff_grows_to_ten_seconds() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


async def test_drain_works_until_a_pass_finds_nothing() -> None:
    job = Items(owed=3)
    assert await Worker(job).drain(within=30) == 3
    assert job.owed == 0


async def test_a_kick_wakes_the_worker_before_its_poll() -> None:
    job = Items()
    worker = Worker(job, poll=3600)
    worker.start()
    await asyncio.wait_for(job.passed.wait(), 30)  # the pass at start
    job.passed.clear()
    job.owed = 1
    worker.kick()
    await asyncio.wait_for(job.passed.wait(), 30)
    await worker.stop()
    assert job.owed == 0


async def test_a_failing_pass_is_retried_after_its_backoff_without_a_kick() -> None:
    job = Items(owed=1, failures=1)
    worker = Worker(job, poll=3600)
    worker.start()

    async def worked() -> bool:  # the retry comes after backoff(1) = 1 s
        return job.owed == 0

    await eventually(worked, within=30, description="the item worked after the failure")
    await worker.stop()
    assert job.owed == 0 and job.passes >= 2


async def test_stop_ends_within_its_bound_even_when_a_pass_ignores_the_cancel() -> None:
    job = Items()
    job.hang = asyncio.Event()
    worker = Worker(job, poll=3600, lanes=2)
    worker.start()
    await asyncio.wait_for(job.passed.wait(), 30)
    stopped = asyncio.get_running_loop().time()
    await worker.stop(within=0.2)
    assert asyncio.get_running_loop().time() - stopped < 5
    assert not worker.running
    job.hang.set()  # let the shielded wait end, so the test leaves nothing behind
    await asyncio.sleep(0)
