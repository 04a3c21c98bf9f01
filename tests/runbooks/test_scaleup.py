"""api_high_latency_scaleup: latency from the alert or from the serving metrics."""

from __future__ import annotations

from bot.runbooks import load_definitions
from bot.runbooks.model import RunState, StepState
from bot.runbooks.service import RunbookService
from bot.runbooks.steps import LatencyAbove
from bot.serving.client import ServingClient
from bot.slo.definitions import LatencySlo, default_slos, runbook_inputs
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


async def test_the_fast_latency_slos_run_reads_fast_modes_p95_not_the_overall_one(
    service: RunbookService, standin: Standin, serving: ServingClient
) -> None:
    # Fast mode answers 3 s late; most traffic is balanced and creative, on time.
    await standin.faults(added_latency_seconds=3.0, mode="fast")
    await standin.traffic(200, mode="fast")
    await standin.traffic(2000, mode="balanced")
    overall = await service.start(name=SCALEUP, requester="U0AAA")
    assert "within 4.5s" in overall.steps[0].detail  # what the shipped check alone read

    [fast] = [slo for slo in default_slos() if slo.name == "llm_fast_latency"]
    run = await service.start(name=SCALEUP, requester="alertmanager", inputs=runbook_inputs(fast))

    assert run.state is RunState.SUCCEEDED, run.note
    assert "p95 of fast mode" in run.steps[0].detail, run.steps[0].detail
    assert "over 2.5s" in run.steps[0].detail
    assert (await serving.replicas()).replicas == 4


def test_every_shipped_slo_gives_its_runbook_what_the_slo_measures() -> None:
    definitions = {d.name: d for d in load_definitions().values()}
    for slo in default_slos():
        if slo.runbook != SCALEUP:
            continue
        assert isinstance(slo, LatencySlo)
        given = runbook_inputs(slo)
        assert given == {"threshold_seconds": slo.threshold_seconds, "mode": slo.labels["mode"]}
        takes = definitions[SCALEUP].inputs
        [check] = [s.check for s in definitions[SCALEUP].steps if s.id == "confirm_latency"]
        assert isinstance(check, LatencyAbove)
        assert {check.mode_input, check.threshold_input} <= set(takes) and set(given) <= set(takes)
