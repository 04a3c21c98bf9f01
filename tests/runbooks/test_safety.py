"""Safety of runs: one per target, nothing repeated after a crash, clear refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.errors import InvalidInput, NotAuthorized
from bot.runbooks.cli_text import run_lines
from bot.runbooks.errors import (
    AlreadyDecided,
    RunAlreadyActive,
    RunFinished,
    UnknownRun,
    UnknownRunbook,
)
from bot.runbooks.model import RunState, StepState
from bot.runbooks.probes import Drills
from bot.runbooks.service import RunbookService
from bot.serving.client import ServingClient
from bot.serving.models import Mode
from storage.db import Database
from tests.runbooks.conftest import ServiceFactory, admin_posts, audit_actions, clear_faults
from tests.serving.conftest import Standin
from tests.support.config import sandbox_config
from tests.support.ports import free_port
from tests.support.progress import eventually

DOWNSHIFT = "qwen_failure_downshift"
ROLLBACK = "rl_reward_runaway_rollback"
RESTORE = "qwen_restore_creative"
SCALEUP = "api_high_latency_scaleup"


@pytest.fixture
async def impatient(standin: Standin) -> AsyncIterator[ServingClient]:
    """A serving client that gives up on an answer after 0.5s."""
    async with ServingClient(base_url=standin.url, timeout=0.5, read_retries=0) as client:
        yield client


@pytest.fixture
async def patient(standin: Standin) -> AsyncIterator[ServingClient]:
    """A serving client that waits a minute for an answer (the crash comes first)."""
    async with ServingClient(base_url=standin.url, timeout=60.0) as client:
        yield client


@pytest.mark.engine
async def test_two_simultaneous_starts_run_once_and_the_other_names_the_active_run(
    service: RunbookService, standin: Standin
) -> None:
    await standin.faults(reward_runaway=True)

    outcomes = await asyncio.gather(
        service.start(name=ROLLBACK, requester="U0AAA"),
        service.start(name=ROLLBACK, requester="U0BBB"),
        return_exceptions=True,
    )

    runs = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(runs) == 1 and len(refused) == 1
    assert isinstance(refused[0], RunAlreadyActive)
    assert refused[0].active_run_id == runs[0].id
    assert runs[0].id in str(refused[0])
    assert [r.id for r in await service.list_runs()] == [runs[0].id]


@pytest.mark.engine
async def test_a_crash_inside_an_admin_call_needs_a_person_and_is_not_repeated(
    make_service: ServiceFactory, patient: ServingClient, standin: Standin, db: Database
) -> None:
    service = make_service(serving=patient)
    await standin.faults(model_down="qwen")
    await standin.faults(hang_seconds=120, route="/admin/circuit-breaker")
    started = asyncio.create_task(service.start(name=DOWNSHIFT, requester="alertmanager"))
    run_id = await _run_id_once_the_call_is_sent(service, standin)
    started.cancel()  # the process dies with the POST in flight
    with pytest.raises(asyncio.CancelledError):
        await started
    assert len(await admin_posts(standin, "/admin/circuit-breaker")) == 1
    await clear_faults(standin)

    recovered = await make_service().recover()

    assert [r.id for r in recovered] == [run_id]
    run = recovered[0]
    assert run.state is RunState.NEEDS_ATTENTION
    assert run.steps[1].state is StepState.UNKNOWN
    assert "whether it took effect is unknown" in run.note
    assert len(await admin_posts(standin, "/admin/circuit-breaker")) == 1
    assert await admin_posts(standin, "/admin/routing") == []
    assert ("artisan-sre", "runbook.recover") in await audit_actions(db, run_id)
    # Still holds its target: nobody starts a second downshift over an unknown state.
    with pytest.raises(RunAlreadyActive):
        await service.start(name=DOWNSHIFT, requester="U0BBB")


async def _run_id_once_the_call_is_sent(service: RunbookService, standin: Standin) -> str:
    """The run whose breaker call is stored as started and has reached the stand-in."""

    async def sent() -> str | None:
        arrived = await admin_posts(standin, "/admin/circuit-breaker")
        for run in await service.list_runs():
            if run.steps[1].state is StepState.RUNNING and run.steps[1].call and arrived:
                return run.id
        return None

    return await eventually(sent, within=60, description="the breaker call stored and sent")


async def test_a_timed_out_admin_call_waits_for_a_person_who_decides(
    make_service: ServiceFactory, impatient: ServingClient, standin: Standin
) -> None:
    service = make_service(serving=impatient)
    await standin.faults(model_down="qwen")
    await standin.faults(hang_seconds=30, route="/admin/circuit-breaker")

    run = await service.start(name=DOWNSHIFT, requester="alertmanager")

    assert run.state is RunState.NEEDS_ATTENTION
    assert "no answer within 0.5s" in run.steps[1].detail
    with pytest.raises(NotAuthorized):
        await service.resume(run_id=run.id, actor="U0CCC", applied=True)
    await clear_faults(standin)  # wakes the hung request: the change took effect after all
    await standin.faults(model_down="qwen")

    resumed = await service.resume(run_id=run.id, actor="U0BBB", applied=True)

    assert resumed.state is RunState.SUCCEEDED
    assert "U0BBB confirmed it took effect" in resumed.steps[1].detail
    assert len(await admin_posts(standin, "/admin/circuit-breaker")) == 1
    assert len(await admin_posts(standin, "/admin/routing")) == 1


async def test_retrying_after_an_unknown_outcome_sends_the_call_again_once(
    make_service: ServiceFactory, impatient: ServingClient, standin: Standin
) -> None:
    service = make_service(serving=impatient)
    await standin.faults(model_down="qwen")
    await standin.faults(hang_seconds=30, route="/admin/circuit-breaker")
    run = await service.start(name=DOWNSHIFT, requester="alertmanager")
    await clear_faults(standin)
    await standin.faults(model_down="qwen")

    resumed = await service.resume(run_id=run.id, actor="U0DDD", applied=False)

    assert resumed.state is RunState.SUCCEEDED
    assert len(await admin_posts(standin, "/admin/circuit-breaker")) == 2


async def test_cancelling_a_waiting_run_frees_its_target_and_sends_nothing(
    service: RunbookService, standin: Standin
) -> None:
    await standin.faults(reward_runaway=True)
    run = await service.start(name=ROLLBACK, requester="U0AAA")
    with pytest.raises(NotAuthorized, match="U0CCC may not cancel"):
        await service.cancel(run_id=run.id, actor="U0CCC")

    cancelled = await service.cancel(run_id=run.id, actor="U0AAA", reason="false alarm")

    assert cancelled.state is RunState.CANCELLED
    assert cancelled.steps[2].state is StepState.CANCELLED
    with pytest.raises(AlreadyDecided, match="already cancelled"):
        await service.approve(run_id=run.id, actor="U0BBB")
    assert await admin_posts(standin) == []
    assert (await service.start(name=ROLLBACK, requester="U0AAA")).is_active


async def test_cancelling_a_finished_run_is_refused_and_changes_nothing(
    service: RunbookService, standin: Standin, db: Database
) -> None:
    run = await service.start(name=DOWNSHIFT, requester="U0AAA")  # qwen healthy: stops
    trail = await audit_actions(db, run.id)

    with pytest.raises(RunFinished, match=f"{run.id} already succeeded"):
        await service.cancel(run_id=run.id, actor="U0AAA")

    after = await service.get(run_id=run.id)
    assert after.state is RunState.SUCCEEDED and after.version == run.version
    assert await audit_actions(db, run.id) == trail


async def test_unknown_names_and_ids_are_refused_clearly(service: RunbookService) -> None:
    with pytest.raises(UnknownRunbook, match="api_high_latency_scaleup, qwen_failure_downshift"):
        await service.start(name="qwen_failover", requester="U0AAA")
    with pytest.raises(UnknownRun, match="No runbook run RUN-20261014-103000 exists"):
        await service.get(run_id="RUN-20261014-103000")
    with pytest.raises(UnknownRun, match="not a run ID"):
        await service.approve(run_id="INC-20261014-103000", actor="U0BBB")
    with pytest.raises(UnknownRun):
        await service.cancel(run_id="RUN-20261014-103000", actor="U0AAA")
    with pytest.raises(InvalidInput, match="acts on qwen, not 'llama'"):
        await service.start(name=DOWNSHIFT, requester="U0AAA", target="llama")
    with pytest.raises(InvalidInput, match="takes no input 'p99'"):
        await service.start(name=DOWNSHIFT, requester="U0AAA", inputs={"p99": 3})
    assert await service.list_runs(active_only=False) == []


async def test_cancel_during_an_admin_call_records_its_outcome_and_sends_nothing_after(
    make_service: ServiceFactory, patient: ServingClient, standin: Standin
) -> None:
    service = make_service(serving=patient)
    await standin.faults(model_down="qwen")
    await standin.faults(hang_seconds=120, route="/admin/circuit-breaker")
    started = asyncio.create_task(service.start(name=DOWNSHIFT, requester="U0AAA"))
    run_id = await _run_id_once_the_call_is_sent(service, standin)

    cancelled = await service.cancel(run_id=run_id, actor="U0BBB", reason="wrong alert")
    assert cancelled.state is RunState.CANCELLED
    assert "in flight when U0BBB cancelled" in cancelled.steps[1].detail
    await clear_faults(standin)  # the hung call completes
    final = await started

    assert final.state is RunState.CANCELLED
    assert final.steps[1].state is StepState.SUCCEEDED
    assert "(after the run had ended)" in final.steps[1].detail
    assert await admin_posts(standin, "/admin/routing") == []


class BrokenNotifier:
    """A notice cannot be owed (the run's message and asks are owed with the run's own
    changes: they cannot fail apart from them)."""

    async def run_changed(self, on: object, run: object) -> None:
        return None

    async def approval_requested(
        self, on: object, run: object, step: object, approvers: object
    ) -> None:
        return None

    def sent(self) -> None:
        return None

    async def notify(self, run: object, *, step: int, audience: object, text: str) -> None:
        raise ConnectionError("the outbox is unreachable")


async def test_a_notice_that_cannot_be_owed_never_stops_a_downshift(
    make_service: ServiceFactory, standin: Standin, serving: ServingClient
) -> None:
    service = make_service(notifier=BrokenNotifier())
    await standin.faults(model_down="qwen")

    run = await service.start(name=DOWNSHIFT, requester="alertmanager")

    assert (await serving.routing()).serving(Mode.CREATIVE) == "balanced"
    assert run.incident_id is not None  # the steps after the failed page still ran
    # ... and the run says the page did not go out, instead of claiming success.
    assert run.state is RunState.FAILED
    assert "Notify the on-call engineer failed: could not tell oncall" in run.note


@pytest.fixture
async def unreachable() -> AsyncIterator[ServingClient]:
    """A serving client whose serving process is not there at all."""
    url = f"http://127.0.0.1:{free_port()}"
    async with ServingClient(base_url=url, timeout=0.5, retry_backoff=0.01) as client:
        yield client


@pytest.mark.engine
async def test_a_check_that_cannot_read_never_lets_a_run_succeed(
    make_service: ServiceFactory, unreachable: ServingClient, db: Database
) -> None:
    service = make_service(serving=unreachable)

    for name in (ROLLBACK, RESTORE, SCALEUP):
        run = await service.start(name=name, requester="U0AAA")

        assert run.state is RunState.FAILED, name
        assert run.steps[0].state is StepState.FAILED
        assert run.steps[0].detail.startswith(("could not read", "cannot tell")), name
        assert all(s.state is StepState.SKIPPED for s in run.steps[1:])

    drills = Drills(
        db=db,
        config=sandbox_config(),
        serving=unreachable,
        runbooks=service,
        owed=lambda: None,
    )
    started = await drills.start()
    lines = await drills.summary(started)
    assert started.reachable is not None and "connection refused" in started.reachable
    by_runbook = {line.split()[1].rstrip(":"): line.split()[-1] for line in lines}
    assert by_runbook[ROLLBACK] == by_runbook[RESTORE] == by_runbook[SCALEUP] == "failed"
    assert await service.list_runs(active_only=True) == []


async def test_a_check_that_does_not_hold_stops_the_run_without_a_failed_step(
    service: RunbookService, standin: Standin
) -> None:
    run = await service.start(name=ROLLBACK, requester="U0AAA")  # the reward is fine

    assert run.state is RunState.SUCCEEDED
    assert run.steps[0].state is StepState.NOT_MET
    assert "nothing else to do" in run.note
    assert "✗" not in "\n".join(run_lines(run))
    assert await admin_posts(standin) == []


@pytest.mark.engine
async def test_recovery_leaves_alone_a_run_whose_owner_is_still_driving_it(
    make_service: ServiceFactory, patient: ServingClient, standin: Standin
) -> None:
    """A step longer than the recovery idle time: the owner renews the run's
    lease while it waits, so a recovery elsewhere takes nothing."""
    owner = make_service(serving=patient)
    await standin.faults(model_down="qwen")
    await standin.faults(hang_seconds=120, route="/admin/circuit-breaker")
    started = asyncio.create_task(owner.start(name=DOWNSHIFT, requester="alertmanager"))
    run_id = await _run_id_once_the_call_is_sent(owner, standin)

    assert await make_service().recover() == []  # another process, idle_for 0

    await clear_faults(standin)  # the slow call completes
    await standin.faults(model_down="qwen")
    run = await started
    assert run.id == run_id
    assert run.state is RunState.SUCCEEDED, run.note
    assert len(await admin_posts(standin, "/admin/circuit-breaker")) == 1
    assert await make_service().recover() == []  # finished: nothing to take
