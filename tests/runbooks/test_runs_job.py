"""The runs job on the one worker engine: a worker stopped in the middle of a check (between
its probes, or as its outcome waits for the database) leaves its run owed, and the next
process takes it up and finishes it once: one change to the serving process, one message."""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import FixedClock
from bot.runbooks.job import RUN_LEASE
from bot.runbooks.model import RunState
from bot.runbooks.service import RunbookService
from storage.db import Database
from storage.runbooks import RunbookRunRow
from tests.runbooks.conftest import RecordingNotifier, ServiceFactory, admin_posts
from tests.serving.conftest import Standin
from tests.support.holds import OtherWriter, tasks_left

pytestmark = pytest.mark.engine

DOWNSHIFT = "qwen_failure_downshift"


async def test_a_runs_worker_stopped_mid_check_leaves_the_run_to_the_next_process(
    make_service: ServiceFactory, standin: Standin, clock: FixedClock, notifier: RecordingNotifier
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

    assert not tasks_left(before), "still running after the runs worker's stop"
    owed = await first.get(run_id=run.id)
    assert owed.state is RunState.RUNNING and owed.steps[0].state.value == "running"
    assert await admin_posts(standin) == []

    await _the_next_process_finishes_it_once(run.id, make_service, standin, notifier, clock)


async def test_a_runs_worker_stopped_while_a_checks_outcome_waits_for_the_database_leaves_the_run(
    make_service: ServiceFactory,
    standin: Standin,
    clock: FixedClock,
    db: Database,
    notifier: RecordingNotifier,
) -> None:
    writer = OtherWriter(db, tables=[RunbookRunRow.__tablename__])
    taken = False

    async def another_writer_between_probes(seconds: float) -> None:
        nonlocal taken
        if not taken:  # the check goes on; recording its outcome will wait for the lock
            taken = True
            await writer.take()

    first = make_service(sleep=another_writer_between_probes)
    await standin.faults(model_down="qwen")
    run = await RunbookService.start(first, name=DOWNSHIFT, requester="alertmanager")
    before = asyncio.all_tasks()
    first.runs.start()
    await writer.waited_on()
    stopping = asyncio.create_task(first.runs.stop(within=30))
    await writer.given_up()
    writer.close()
    await asyncio.wait_for(stopping, 60)

    assert not tasks_left(before), "still running after the runs worker's stop"
    owed = await first.get(run_id=run.id)
    assert owed.state is RunState.RUNNING and owed.steps[0].state.value == "running"
    assert await admin_posts(standin) == []

    await _the_next_process_finishes_it_once(run.id, make_service, standin, notifier, clock)


async def _the_next_process_finishes_it_once(
    run_id: str,
    make_service: ServiceFactory,
    standin: Standin,
    notifier: RecordingNotifier,
    clock: FixedClock,
) -> None:
    clock.advance(RUN_LEASE * 2)  # whatever the stop gave up or not, the lease has lapsed
    second = make_service()
    taken = await second.recover()

    assert [r.id for r in taken] == [run_id]
    assert taken[0].state is RunState.SUCCEEDED, taken[0].note
    assert len(await admin_posts(standin, "/admin/circuit-breaker")) == 1
    assert notifier.posts == 1  # one message for the run, brought up to date, not two
    assert await second.recover() == []  # finished: nothing more to take
