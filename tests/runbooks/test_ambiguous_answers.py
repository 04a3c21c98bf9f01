"""An admin call answered 5xx (or not at all) is decided by reading the state back."""

from __future__ import annotations

from bot.runbooks.model import RunState, StepState
from bot.serving.client import ServingClient
from bot.serving.models import Mode
from tests.runbooks.conftest import ServiceFactory, admin_posts
from tests.serving.conftest import Standin

DOWNSHIFT = "qwen_failure_downshift"


async def test_a_change_applied_but_answered_500_succeeds_by_its_read_back(
    make_service: ServiceFactory, standin: Standin, serving: ServingClient
) -> None:
    service = make_service()
    await standin.faults(model_down="qwen")
    await standin.faults(fail_after_apply=1, route="/admin/circuit-breaker")

    run = await service.start(name=DOWNSHIFT, requester="alertmanager")

    assert run.state is RunState.SUCCEEDED, run.note
    breaker = run.steps[1]
    assert breaker.state is StepState.SUCCEEDED
    assert "answered 500" in breaker.detail
    assert "qwen's breaker is open, so the change took effect" in breaker.detail
    assert (await serving.breakers()).breakers["qwen"] == "open"
    assert (await serving.routing()).serving(Mode.CREATIVE) == "balanced"
    # Sent once: the read-back never repeats the change.
    assert len(await admin_posts(standin, "/admin/circuit-breaker")) == 1


async def test_a_change_refused_with_500_and_not_applied_fails(
    make_service: ServiceFactory, standin: Standin, serving: ServingClient
) -> None:
    service = make_service()
    await standin.faults(model_down="qwen")
    await standin.faults(fail_next=1, route="/admin/circuit-breaker")

    run = await service.start(name=DOWNSHIFT, requester="alertmanager")

    assert run.state is RunState.FAILED
    assert run.steps[1].state is StepState.FAILED
    assert "qwen's breaker is closed, unchanged" in run.steps[1].detail
    assert (await serving.breakers()).breakers["qwen"] == "closed"
