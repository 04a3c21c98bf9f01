"""api_high_latency_scaleup: latency from the alert or from the serving metrics."""

from __future__ import annotations

from bot.runbooks.model import RunState, StepState
from bot.runbooks.service import RunbookService
from bot.serving.client import ServingClient
from tests.runbooks.conftest import admin_posts
from tests.serving.conftest import Standin

SCALEUP = "api_high_latency_scaleup"


async def test_latency_reported_by_the_alert_adds_two_replicas(
    service: RunbookService, standin: Standin, serving: ServingClient
) -> None:
    run = await service.start(name=SCALEUP, requester="alertmanager", inputs={"p95_seconds": 6.2})

    assert run.state is RunState.SUCCEEDED, run.note
    assert "p95 6.20s as the run was given, over 4.5s" in run.steps[0].detail
    assert (await serving.replicas()).replicas == 4
    assert [e["json"] for e in await admin_posts(standin)] == [{"replicas": 4}]
    assert run.steps[2].detail == "4 replicas"


async def test_latency_measured_from_serving_metrics_drives_the_decision(
    service: RunbookService, standin: Standin, serving: ServingClient
) -> None:
    await standin.traffic(300)
    calm = await service.start(name=SCALEUP, requester="U0AAA")
    assert calm.state is RunState.SUCCEEDED
    assert "within 4.5s" in calm.steps[0].detail and "from serving metrics" in calm.steps[0].detail
    assert calm.steps[1].state is StepState.SKIPPED
    assert await admin_posts(standin) == []

    await standin.faults(added_latency_seconds=5.0)
    await standin.traffic(3000)
    slow = await service.start(name=SCALEUP, requester="U0AAA")

    assert slow.state is RunState.SUCCEEDED
    assert "over 4.5s" in slow.steps[0].detail
    assert (await serving.replicas()).replicas == 4


async def test_scaling_stops_at_the_configured_maximum(
    service: RunbookService, standin: Standin, serving: ServingClient
) -> None:
    await serving.set_replicas(9)
    first = await service.start(name=SCALEUP, requester="U0AAA", inputs={"p95_seconds": 7})
    assert first.state is RunState.SUCCEEDED
    assert (await serving.replicas()).replicas == 10

    second = await service.start(name=SCALEUP, requester="U0AAA", inputs={"p95_seconds": 7})

    assert second.state is RunState.FAILED
    assert "already at 10 replicas; the maximum is 10" in second.note
    assert second.steps[1].call is None
    assert [e["json"] for e in await admin_posts(standin)] == [{"replicas": 9}, {"replicas": 10}]


async def test_no_latency_data_fails_the_run_without_scaling(
    service: RunbookService, standin: Standin
) -> None:
    run = await service.start(name=SCALEUP, requester="U0AAA")

    assert run.state is RunState.FAILED
    assert run.steps[0].state is StepState.FAILED
    assert "cannot tell: no latency samples" in run.steps[0].detail
    assert "cannot be read never passes" in run.note
    assert await admin_posts(standin) == []
