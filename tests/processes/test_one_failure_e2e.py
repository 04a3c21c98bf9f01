"""One failure, one incident, end to end: Qwen breaks on the serving stand-in while the bot's
health probes run and the shipped deploy/ rules (intervals shortened) page for the API's
availability SLO and for QwenModelUnhealthy. Three sources see one failure; the team sees
one incident, one downshift, one page, and the recovery in that incident. After the
incident is resolved, Qwen failing again is a new incident."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.outbox import PostKind
from sandbox.slack import SlackEmulator
from tests.processes import test_alerting_e2e as single
from tests.support.alerting import Alertmanager, Prometheus
from tests.support.config import sre_yaml
from tests.support.progress import alerts_worked, eventually, posts_settled

standin = single.standin  # the stand-in and the monitoring processes, shared
monitoring = single.monitoring

PROBING = sre_yaml(
    {
        "oncall": {"weekday": ["U0AAA", "U0BBB", "U0CCC"], "weekend": ["U0DDD", "U0EEE"]},
        "runbooks": {"approvers": ["U0AAA", "U0BBB", "U0DDD"]},
        # The bot's own probes on, every 2 s: three failures start the downshift.
        "schedule": {"tick": "1s", "post_timeout": "3s", "health_probe_every": "2s"},
    }
)
PAGE = "📟"


@pytest.fixture
async def stack(
    process_env: dict[str, str],
    standin: single.Standin,
    monitoring: tuple[Prometheus, Alertmanager],
    start: Callable[..., Any],
    tmp_path: Path,
) -> single.Stack:
    return await single.start_stack(PROBING, process_env, standin, monitoring, start, tmp_path)


def _pages(emulator: SlackEmulator) -> list[str]:
    texts = [str(call.args.get("text", "")) for call in emulator.calls_to("chat.postMessage")]
    return [text for text in texts if text.startswith(PAGE)]


async def _settled(stack: single.Stack) -> None:
    await single._flushed(stack.alertmanager, rounds=2)  # what Alertmanager holds is sent
    await alerts_worked(stack.env["DATABASE_URL"])
    await posts_settled(stack.env["DATABASE_URL"], kinds=tuple(PostKind))


async def test_qwen_breaking_is_one_incident_one_run_one_page_and_its_recovery(
    stack: single.Stack, emulator: SlackEmulator
) -> None:
    standin = stack.standin
    await standin.call("POST", "/_standin/faults", {"model_down": "qwen"})

    async def pump() -> None:
        while True:  # briefs keep coming, so the availability SLO sees creative fail
            await standin.call("POST", "/_standin/traffic", {"requests": 30})
            await asyncio.sleep(0.5)

    traffic = asyncio.create_task(pump())
    try:

        async def all_three_seen() -> bool:
            burning = await asyncio.to_thread(stack.prometheus.firing, "SLOErrorBudgetBurn")
            unhealthy = await asyncio.to_thread(stack.prometheus.firing, "QwenModelUnhealthy")
            routing = await standin.call("GET", "/admin/routing")
            return (
                any(a["slo"] == "api_availability" and a["severity"] == "page" for a in burning)
                and bool(unhealthy)
                and routing["routing"]["creative"] == "balanced"
            )

        await eventually(all_three_seen, within=90, description="the page, the alert, the run")
        await _settled(stack)
    finally:
        traffic.cancel()

    # One incident, one card; the sources that did not open it joined it, in its thread.
    (card,) = single._cards(emulator)
    incident_id = single.incident_of(card)
    listed = json.loads(await stack.cli("incident", "list", "--all", "--json"))
    assert [i["id"] for i in listed] == [incident_id]
    explained = await stack.cli("incident", "explain", incident_id)
    for source in ("SLOErrorBudgetBurn", "QwenModelUnhealthy", "qwen_failure_downshift"):
        assert source in explained, explained
    thread = [m.text for m in emulator.replies("C0INCIDENTS", card.ts)]
    joined = [text for text in thread if text.startswith("joined: ")]
    assert len(joined) == 2, thread  # the opener is the card; the other two joined
    # One run changed the serving process, and on-call was paged once.
    for change in ("/admin/routing", "/admin/circuit-breaker"):
        log = await standin.call("GET", f"/_standin/requests?method=POST&prefix={change}")
        assert len(log["requests"]) == 1, (change, log)
    assert len(_pages(emulator)) == 1, _pages(emulator)

    # Qwen is fixed: the probes' recovery is told in the same incident.
    await standin.call("DELETE", "/_standin/faults")
    await emulator.wait_for(
        lambda e: [r for r in e.replies("C0INCIDENTS", card.ts) if "recovered" in r.text],
        timeout=60,
        description="the recovery in the incident's thread",
    )

    async def alert_resolved() -> bool:
        return not await asyncio.to_thread(stack.prometheus.firing, "QwenModelUnhealthy")

    await eventually(alert_resolved, within=60, description="QwenModelUnhealthy resolved")
    await _settled(stack)
    await stack.cli("incident", "resolve", incident_id, "Qwen", "restarted")

    # Qwen fails again after the resolve: new trouble, a new incident.
    await standin.call("POST", "/_standin/faults", {"model_down": "qwen"})
    await emulator.wait_for(
        lambda e: len(single._cards(e)) == 2,
        timeout=90,
        description="a second incident for the second failure",
    )
    shown = json.loads(await stack.cli("incident", "show", incident_id, "--json"))
    assert shown["status"] == "resolved"
    actions = [entry["action"] for entry in shown["timeline"]]
    assert actions.count("joined") == 2  # nothing joined the resolved incident
