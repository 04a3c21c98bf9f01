"""qwen_failure_downshift against the real stand-in and the real database."""

from __future__ import annotations

import pytest

from bot.incidents.model import Severity
from bot.incidents.service import IncidentService
from bot.runbooks.cli_text import run_lines
from bot.runbooks.model import RunState, StepState
from bot.runbooks.service import RunbookService
from bot.runbooks.starters import StartedBy
from bot.runbooks.steps import Audience
from bot.serving.client import ServingClient
from bot.serving.models import BreakerState, Mode
from storage.db import Database
from tests.runbooks.conftest import RecordingNotifier, admin_posts, audit_actions
from tests.serving.conftest import Standin


async def test_qwen_down_is_downshifted_with_an_incident_and_a_page(
    service: RunbookService,
    standin: Standin,
    serving: ServingClient,
    incidents: IncidentService,
    notifier: RecordingNotifier,
    db: Database,
) -> None:
    await standin.faults(model_down="qwen")

    run = await service.start(
        name="qwen_failure_downshift", requester="alertmanager", origin_channel="C0INCIDENTS"
    )

    assert run.state is RunState.SUCCEEDED, run.note
    assert (await serving.breakers()).breakers["qwen"] == "open"
    assert (await serving.routing()).serving(Mode.CREATIVE) == "balanced"
    assert [s.state for s in run.steps] == [StepState.SUCCEEDED] * 6
    health_checks = await standin.logged(method="GET", prefix="/health/llm")
    assert sum(e["query"] == {"model": "qwen"} for e in health_checks) == 3
    # The incident is Sev2, linked to the run, and names the run.
    assert run.incident_id is not None
    incident = await incidents.get(incident_id=run.incident_id)
    assert incident.severity is Severity.SEV2
    assert run.id in incident.description
    assert incident.components == ["LLM", "Qwen"]
    # On-call is told, once; the run has one message, updated in place.
    assert [(n[0], n[1]) for n in notifier.notices] == [(run.id, Audience.ONCALL)]
    assert "circuit breaker is open" in notifier.notices[0][2]
    assert notifier.posts == 1
    assert notifier.last(run.id).state is RunState.SUCCEEDED
    assert len(notifier.shown[run.id]) > 6
    # Every step is audited with its exact call and outcome.
    actions = await audit_actions(db, run.id)
    assert ("alertmanager", "runbook.start") in actions
    assert ("artisan-sre", "runbook.succeeded") in actions
    calls = [e["json"] for e in await admin_posts(standin)]
    assert calls == [
        {"model": "qwen", "state": "open"},
        {"mode": "creative", "serve_with": "balanced"},
    ]
    breaker_step = run.steps[1]
    assert breaker_step.call == {
        "method": "POST",
        "url": f"{standin.url}/admin/circuit-breaker",
        "json": {"model": "qwen", "state": "open"},
    }
    assert breaker_step.duration is not None


async def test_a_healthy_qwen_stops_the_run_before_any_change(
    service: RunbookService, standin: Standin, incidents: IncidentService
) -> None:
    run = await service.start(name="qwen_failure_downshift", requester="U0AAA")

    assert run.state is RunState.SUCCEEDED
    assert "nothing else to do" in run.note
    assert run.steps[0].state is StepState.NOT_MET
    assert "qwen answered healthy on check 1" in run.steps[0].detail
    assert {s.state for s in run.steps[1:]} == {StepState.SKIPPED}
    assert await admin_posts(standin) == []
    assert await incidents.list_incidents() == []


async def test_a_run_started_from_an_incident_links_it_instead_of_opening_another(
    service: RunbookService, standin: Standin, incidents: IncidentService
) -> None:
    existing = await incidents.create(title="Qwen down", severity=Severity.SEV2, actor="U0AAA")
    await standin.faults(model_down="qwen")

    run = await service.start(
        name="qwen_failure_downshift", requester="U0AAA", incident_id=existing.id
    )

    assert run.state is RunState.SUCCEEDED
    assert run.incident_id == existing.id
    assert f"linked to {existing.id}" in run.steps[-1].detail
    assert [i.id for i in await incidents.list_incidents()] == [existing.id]


async def test_balanced_also_down_still_pages_and_opens_the_incident_but_fails_the_run(
    service: RunbookService, standin: Standin, notifier: RecordingNotifier
) -> None:
    await standin.faults(model_down=["qwen", "mistral"])

    run = await service.start(name="qwen_failure_downshift", requester="alertmanager")

    assert run.state is RunState.FAILED
    assert "Verify balanced" in run.note
    assert run.steps[3].state is StepState.FAILED
    assert run.steps[4].state is StepState.SUCCEEDED and notifier.notices
    assert run.steps[5].state is StepState.SUCCEEDED and run.incident_id


async def test_dry_run_shows_every_exact_call_and_sends_none(
    service: RunbookService, standin: Standin, notifier: RecordingNotifier
) -> None:
    await standin.faults(model_down="qwen")

    run = await service.start(name="qwen_failure_downshift", requester="U0AAA", dry_run=True)

    assert run.state is RunState.SUCCEEDED
    assert run.dry_run and "nothing was changed" in run.note
    assert {s.state for s in run.steps} == {StepState.PLANNED}
    text = "\n".join(run_lines(run))
    assert f'POST {standin.url}/admin/circuit-breaker {{"model": "qwen", "state": "open"}}' in text
    assert (
        f'POST {standin.url}/admin/routing {{"mode": "creative", "serve_with": "balanced"}}' in text
    )
    assert "would tell oncall" in text and "would open a Sev2 incident" in text
    # No change sent; the one admin read is whether the downshift is in place already.
    assert [e["path"] for e in await standin.logged(prefix="/admin")] == ["/admin/routing"]
    assert notifier.notices == [] and run.incident_id is None
    # A dry run holds no lock: a real run can start at once.
    real = await service.start(name="qwen_failure_downshift", requester="U0AAA")
    assert real.state is RunState.SUCCEEDED


async def test_a_second_downshift_for_the_same_outage_joins_the_open_incident(
    service: RunbookService,
    standin: Standin,
    serving: ServingClient,
    incidents: IncidentService,
) -> None:
    await standin.faults(model_down="qwen")
    first = await service.start(name="qwen_failure_downshift", requester="alertmanager")
    # Someone closed the breaker while Qwen is still down: the downshift is needed again.
    await serving.set_breaker("qwen", BreakerState.CLOSED)
    second = await service.start(name="qwen_failure_downshift", requester="U0BBB")

    assert first.state is second.state is RunState.SUCCEEDED
    assert second.incident_id == first.incident_id
    assert f"joined {first.incident_id}" in second.steps[-1].detail
    (only,) = await incidents.list_incidents()
    shown = await incidents.get(incident_id=only.id)
    assert any(second.id in entry.note for entry in shown.timeline)

    # Once that outage is resolved, the next failure is a new incident.
    await incidents.resolve(incident_id=only.id, resolution="Qwen restarted", actor="U0AAA")
    await serving.set_breaker("qwen", BreakerState.CLOSED)
    third = await service.start(name="qwen_failure_downshift", requester="alertmanager")
    assert third.incident_id not in (None, first.incident_id)


async def test_a_dry_run_marks_the_values_only_a_real_run_finds(
    service: RunbookService, standin: Standin
) -> None:
    run = await service.start(name="qwen_failure_downshift", requester="U0AAA", dry_run=True)

    text = "\n".join(run_lines(run))
    assert "U0AAA reported it and the run's ⟨failed_probes⟩ health checks" in text
    assert "not known" not in text and "{failed_probes" not in text
    assert "⟨name⟩ is a value an earlier step finds when the run is real" in run.note


IN_PLACE = "already in place (creative is served by balanced and qwen's breaker is open)"


async def downshifted_by_hand(standin: Standin, serving: ServingClient) -> None:
    """Qwen down, its breaker open and creative on balanced (an earlier run or a person),
    and the stand-in's request log emptied, so what a run sends next is all it shows."""
    await standin.faults(model_down="qwen")
    await serving.set_breaker("qwen", BreakerState.OPEN)
    await serving.set_routing(Mode.CREATIVE, Mode.BALANCED)
    async with standin.http.delete(f"{standin.url}/_standin/requests") as response:
        assert response.status == 200


@pytest.mark.engine
async def test_a_downshift_already_in_place_ends_not_needed_and_changes_nothing(
    service: RunbookService,
    standin: Standin,
    serving: ServingClient,
    incidents: IncidentService,
    notifier: RecordingNotifier,
    db: Database,
) -> None:
    await downshifted_by_hand(standin, serving)

    run = await service.start(name="qwen_failure_downshift", requester="alertmanager")

    assert run.state is RunState.NOT_NEEDED
    assert run.note == f"not needed: {IN_PLACE}"
    assert {s.state for s in run.steps} == {StepState.SKIPPED}
    # Nothing sent to the serving process, not even a probe of Qwen: two reads, in order.
    assert [(e["method"], e["path"]) for e in await standin.logged()] == [
        ("GET", "/admin/routing"),
        ("GET", "/admin/circuit-breaker"),
    ]
    assert (await serving.breakers()).breakers["qwen"] == "open"
    assert (await serving.routing()).serving(Mode.CREATIVE) == "balanced"
    # Nobody paged, no incident; the run's message and the shell say why.
    assert notifier.notices == [] and run.incident_id is None
    assert await incidents.list_incidents() == []
    assert notifier.last(run.id).state is RunState.NOT_NEEDED
    lines = run_lines(run)
    assert lines[0].endswith(": not needed") and lines[1] == f"  not needed: {IN_PLACE}"
    assert ("artisan-sre", "runbook.not_needed") in await audit_actions(db, run.id)
    # Its lock is released: the next start is not refused as "already running".
    again = await service.start(name="qwen_failure_downshift", requester="U0BBB")
    assert again.id != run.id and again.state is RunState.NOT_NEEDED


@pytest.mark.parametrize(
    "by_hand",
    [
        pytest.param(("breaker",), id="only-the-breaker-open"),
        pytest.param(("routing",), id="only-creative-on-balanced"),
    ],
)
async def test_half_a_downshift_in_place_still_runs_the_whole_downshift(
    by_hand: tuple[str, ...],
    service: RunbookService,
    standin: Standin,
    serving: ServingClient,
    notifier: RecordingNotifier,
) -> None:
    await standin.faults(model_down="qwen")
    if "breaker" in by_hand:
        await serving.set_breaker("qwen", BreakerState.OPEN)
    if "routing" in by_hand:
        await serving.set_routing(Mode.CREATIVE, Mode.BALANCED)
    async with standin.http.delete(f"{standin.url}/_standin/requests") as response:
        assert response.status == 200

    run = await service.start(name="qwen_failure_downshift", requester="health-probe")

    assert run.state is RunState.SUCCEEDED, run.note
    assert [s.state for s in run.steps] == [StepState.SUCCEEDED] * 6
    assert [e["json"] for e in await admin_posts(standin)] == [
        {"model": "qwen", "state": "open"},
        {"mode": "creative", "serve_with": "balanced"},
    ]
    assert len(notifier.notices) == 1 and run.incident_id is not None


async def test_the_page_says_what_started_the_run(
    service: RunbookService, standin: Standin, serving: ServingClient, notifier: RecordingNotifier
) -> None:
    await standin.faults(model_down="qwen")
    probed = await service.start(name="qwen_failure_downshift", requester="health-probe")
    await serving.set_breaker("qwen", BreakerState.CLOSED)  # needed again
    alerted = await service.start(
        name="qwen_failure_downshift",
        requester="alertmanager",
        started_by=StartedBy.of("alertmanager", alerts=["QwenModelUnhealthy"]),
    )

    pages = {run_id: text for run_id, _, text in notifier.notices}
    assert pages[probed.id].startswith(
        "Qwen is failing: the bot's health probes reported it and the run's 3 health checks"
    )
    assert pages[alerted.id].startswith(
        "Qwen is failing: the alert QwenModelUnhealthy reported it and the run's 3 health checks"
    )
    assert "probe" not in pages[alerted.id]


async def test_a_dry_run_says_it_would_end_not_needed_and_still_shows_its_steps(
    service: RunbookService, standin: Standin, serving: ServingClient, notifier: RecordingNotifier
) -> None:
    await downshifted_by_hand(standin, serving)

    run = await service.start(name="qwen_failure_downshift", requester="U0AAA", dry_run=True)

    assert run.state is RunState.SUCCEEDED
    assert {s.state for s in run.steps} == {StepState.PLANNED}
    assert f"it would end: not needed: {IN_PLACE}, before its first step" in run.note
    assert "would end: not needed" in "\n".join(run_lines(run))
    assert await admin_posts(standin) == [] and notifier.notices == []
