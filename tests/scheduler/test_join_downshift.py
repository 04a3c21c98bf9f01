"""One failure, one incident: the health probes' downshift joins the incident an SLO's page
opened about the API instead of opening its own (sre.yaml ``incidents.join``)."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from bot.incidents.explain import explain
from bot.incidents.model import Severity
from tests.scheduler.conftest import World

PAGE = "API Availability: error budget burning fast (page)"


async def _break_qwen_for_three_probes(world: World) -> None:
    faults = f"{world.container.serving.base_url}/_standin/faults"
    async with aiohttp.ClientSession() as http, http.post(faults, json={"model_down": "qwen"}):
        pass
    for n in range(3):  # the third failed probe starts the downshift
        await world.at(timedelta(seconds=30 * n))


async def test_the_downshift_joins_the_slo_page_incident_instead_of_opening_one(
    world: World,
) -> None:
    page = await world.container.incidents.create(
        title=PAGE, severity=Severity.SEV2, actor="alertmanager", components=["API"]
    )
    await world.deliver()

    await _break_qwen_for_three_probes(world)

    [downshift] = await world.container.runbooks.list_runs(active_only=False)
    assert downshift.incident_id == page.id
    assert [i.id for i in await world.container.incidents.list_incidents(active_only=False)] == [
        page.id
    ]
    incident = await world.container.incidents.get(incident_id=page.id)
    assert incident.title == PAGE and incident.components == ["API", "LLM", "Qwen"]
    [(actor, note)] = [(e.actor, e.note) for e in incident.timeline if e.action == "joined"]
    assert actor == "health-probe"
    assert note.startswith(f"Runbook qwen_failure_downshift ({downshift.id}): Qwen LLM failure")
    assert incident.message_ts is not None
    thread = world.thread(incident.message_ts)
    assert [t for t in thread if t.startswith("joined: Runbook qwen_failure_downshift")]
    [opened] = [s for s in downshift.steps if s.step_id == "open_incident"]
    assert opened.detail.startswith(f"joined {page.id} (Sev2), still open")
    # `incident explain` tells who opened it and what joined.
    why = explain(incident)
    assert why.opened_by == "Alertmanager"
    assert ("the health probes", "joined") in [(s.source, s.entry.action) for s in why.joined]
