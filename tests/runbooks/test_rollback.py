"""rl_reward_runaway_rollback: approvals against the real stand-in and database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.errors import NotAuthorized
from bot.runbooks.errors import (
    AlreadyDecided,
    ApprovalExpired,
    NoApprover,
    RunFinished,
    SelfApprovalForbidden,
)
from bot.runbooks.model import RunState, StepState
from bot.runbooks.service import RunbookService
from bot.serving.client import ServingClient
from storage.db import Database
from tests.runbooks.conftest import (
    RecordingNotifier,
    ServiceFactory,
    admin_posts,
    audit_actions,
)
from tests.serving.conftest import Standin

ROLLBACK = "rl_reward_runaway_rollback"


@pytest.fixture
async def waiting(service: RunbookService, standin: Standin) -> str:
    """A runaway checkpoint is live and U0AAA's rollback run waits for approval."""
    await standin.faults(reward_runaway=True)
    run = await service.start(name=ROLLBACK, requester="U0AAA", origin_channel="C0INCIDENTS")
    assert run.state is RunState.WAITING_APPROVAL
    return run.id


async def test_the_run_asks_the_other_approvers_and_shows_what_it_will_do(
    service: RunbookService, waiting: str, notifier: RecordingNotifier, serving: ServingClient
) -> None:
    run = await service.get(run_id=waiting)
    stable = run.values["stable_checkpoint"]
    runaway = (await serving.checkpoints()).current

    assert notifier.approvals == [(waiting, "approve_rollback", ["U0BBB", "U0DDD"])]
    prompt = run.step("approve_rollback")
    assert prompt is not None and prompt.expires_at is not None
    assert f"from {runaway}" in prompt.detail and f"to {stable}" in prompt.detail
    assert prompt.expires_at - run.created_at == timedelta(minutes=30)


async def test_the_requester_cannot_approve_their_own_run(
    service: RunbookService, waiting: str, standin: Standin
) -> None:
    with pytest.raises(SelfApprovalForbidden) as refused:
        await service.approve(run_id=waiting, actor="U0AAA")

    assert "U0AAA started" in str(refused.value) and "U0BBB, U0DDD" in str(refused.value)
    assert "<@" not in str(refused.value)
    assert (await service.get(run_id=waiting)).state is RunState.WAITING_APPROVAL
    assert await admin_posts(standin) == []


async def test_someone_who_is_not_an_approver_cannot_approve(
    service: RunbookService, waiting: str, standin: Standin
) -> None:
    with pytest.raises(NotAuthorized, match="U0CCC may not approve"):
        await service.approve(run_id=waiting, actor="U0CCC")

    assert (await service.get(run_id=waiting)).state is RunState.WAITING_APPROVAL
    assert await admin_posts(standin) == []


@pytest.mark.engine
async def test_a_concurrent_double_approve_rolls_back_exactly_once(
    service: RunbookService, waiting: str, standin: Standin, serving: ServingClient, db: Database
) -> None:
    stable = (await service.get(run_id=waiting)).values["stable_checkpoint"]

    outcomes = await asyncio.gather(
        service.approve(run_id=waiting, actor="U0BBB"),
        service.approve(run_id=waiting, actor="U0BBB"),
        service.approve(run_id=waiting, actor="U0DDD"),
        return_exceptions=True,
    )

    finished = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(finished) == 1 and finished[0].state is RunState.SUCCEEDED
    assert len(refused) == 2 and all(isinstance(e, AlreadyDecided) for e in refused)
    approver = finished[0].steps[2].decided_by
    assert all(f"already approved by {approver}" in str(e) for e in refused)
    assert [e["json"] for e in await admin_posts(standin)] == [{"checkpoint": stable}]
    assert (await serving.checkpoints()).current == stable
    assert [a for a in await audit_actions(db, waiting) if a[1] == "runbook.approve"] == [
        (approver, "runbook.approve")
    ]


async def test_deny_ends_the_run_without_any_call(
    service: RunbookService, waiting: str, standin: Standin
) -> None:
    run = await service.deny(run_id=waiting, actor="U0DDD", reason="reward spike is expected")

    assert run.state is RunState.REJECTED
    assert "denied by U0DDD: reward spike is expected" in run.note
    assert [s.state for s in run.steps[3:]] == [StepState.SKIPPED, StepState.SKIPPED]
    assert await admin_posts(standin) == []
    with pytest.raises(AlreadyDecided, match="already denied by U0DDD"):
        await service.approve(run_id=waiting, actor="U0BBB")
    with pytest.raises(RunFinished, match="already rejected"):
        await service.cancel(run_id=waiting, actor="U0AAA")


@pytest.mark.engine
async def test_a_waiting_run_survives_a_restart_and_can_then_be_approved(
    waiting: str, make_service: ServiceFactory, standin: Standin
) -> None:
    restarted = make_service(notifier=RecordingNotifier())
    assert await restarted.recover() == []  # waiting runs stay waiting

    run = await restarted.approve(run_id=waiting, actor="U0BBB")

    assert run.state is RunState.SUCCEEDED
    assert len(await admin_posts(standin, "/admin/rl/rollback")) == 1


async def test_an_approval_expires_after_its_ttl(
    service: RunbookService, waiting: str, clock: FixedClock, standin: Standin
) -> None:
    clock.advance(timedelta(minutes=29))
    assert await service.expire_due() == []

    clock.advance(timedelta(minutes=1))
    expired = await service.expire_due()

    assert [r.id for r in expired] == [waiting]
    assert expired[0].state is RunState.EXPIRED
    assert "no approver answered in time" in expired[0].note
    with pytest.raises(AlreadyDecided, match="already expired"):
        await service.approve(run_id=waiting, actor="U0BBB")
    assert await admin_posts(standin) == []
    # The lock is free: the rollback can be asked for again.
    again = await service.start(name=ROLLBACK, requester="U0AAA")
    assert again.state is RunState.WAITING_APPROVAL


async def test_approving_after_the_ttl_expires_the_run_instead(
    service: RunbookService, waiting: str, clock: FixedClock, standin: Standin
) -> None:
    clock.advance(timedelta(minutes=31))

    with pytest.raises(ApprovalExpired, match="expired at"):
        await service.approve(run_id=waiting, actor="U0BBB")

    assert (await service.get(run_id=waiting)).state is RunState.EXPIRED
    assert await admin_posts(standin) == []


async def test_a_rollback_dry_run_shows_the_exact_checkpoint_and_asks_nobody(
    service: RunbookService, standin: Standin, notifier: RecordingNotifier
) -> None:
    await standin.faults(reward_runaway=True)

    run = await service.start(name=ROLLBACK, requester="U0AAA", dry_run=True)

    stable = run.values["stable_checkpoint"]
    assert run.state is RunState.SUCCEEDED and run.dry_run
    assert run.steps[3].call == {
        "method": "POST",
        "url": f"{standin.url}/admin/rl/rollback",
        "json": {"checkpoint": stable},
    }
    assert "would wait up to 30m" in run.steps[2].detail
    assert notifier.approvals == []
    assert await admin_posts(standin) == []


async def test_a_runbook_needing_approval_will_not_start_when_nobody_else_can_approve(
    make_service: ServiceFactory, standin: Standin
) -> None:
    service = make_service(approvers=["U0AAA"])

    with pytest.raises(NoApprover, match="nobody other than U0AAA"):
        await service.start(name=ROLLBACK, requester="U0AAA")
    assert await service.list_runs() == []
