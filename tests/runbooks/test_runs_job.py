"""The runs job on the one worker engine: a stopped worker leaves its run owed, and the
next process takes it up and finishes it once."""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import FixedClock
from bot.runbooks.job import RUN_LEASE
from bot.runbooks.model import RunState
from bot.runbooks.service import RunbookService
from tests.runbooks.conftest import ServiceFactory, admin_posts
from tests.serving.conftest import Standin

pytestmark = pytest.mark.engine

DOWNSHIFT = "qwen_failure_downshift"


async def test_a_runs_worker_stopped_mid_check_leaves_the_run_to_the_next_process(
    make_service: ServiceFactory, standin: Standin, clock: FixedClock
) -> None:
    between_probes = asyncio.Event()

    async def waits_between_probes(seconds: float) -> None:
        between_probes.set()
        await asyncio.Event().wait()  # the 5 s between probes, as long as the stop needs

    first = make_service(sleep=waits_between_probes)
    await standin.faults(model_down="qwen")
    # Stored and handed over, not driven: the plain service's start.
    run = await RunbookService.start(first, name=DOWNSHIFT, requester="alertmanager")
    assert run.state is RunState.RUNNING
    before = asyncio.all_tasks()
    first.runs.start()
    await asyncio.wait_for(between_probes.wait(), 60)  # the worker holds the run's lease

    await first.runs.stop(within=30)

    assert not _the_bots_tasks(asyncio.all_tasks() - before), "left after the runs worker's stop"
    owed = await first.get(run_id=run.id)
    assert owed.state is RunState.RUNNING and owed.steps[0].state.value == "running"
    assert await admin_posts(standin) == []

    clock.advance(RUN_LEASE * 2)  # whatever the stop gave up or not, the lease has lapsed
    second = make_service()
    taken = await second.recover()

    assert [r.id for r in taken] == [run.id]
    assert taken[0].state is RunState.SUCCEEDED, taken[0].note
    assert len(await admin_posts(standin, "/admin/circuit-breaker")) == 1
    assert await second.recover() == []  # finished: nothing more to take


def _the_bots_tasks(tasks: set[asyncio.Task[object]]) -> list[asyncio.Task[object]]:
    """Tasks running the bot's own code (a lane, a lease renewer), not the stand-in's."""
    return [
        task for task in tasks if not task.done() and "/bot/" in task.get_coro().cr_code.co_filename
    ]
