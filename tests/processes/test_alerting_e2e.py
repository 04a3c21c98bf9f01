"""From alert to recovery with every real process: the serving stand-in, Prometheus and
Alertmanager loading deploy/ (intervals shortened), the bot, and the Slack emulator."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.outbox import PostKind
from sandbox.slack import Message, SlackEmulator
from storage.db import Database
from tests.processes.conftest import wait_ready
from tests.support.alerting import Alertmanager, Prometheus
from tests.support.cli import run_cli
from tests.support.config import sre_yaml
from tests.support.ports import free_port
from tests.support.progress import alerts_worked, eventually, posts_settled
from tests.support.runs import ended_message, started_run

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

TOKEN = "e2e-alertmanager-token"
# The quiet schedule (tests/support/config.py): the bot's own health probe stays off, so the
# alert alone detects the failure.
CONFIG = sre_yaml(
    {
        "oncall": {"weekday": ["U0AAA", "U0BBB", "U0CCC"], "weekend": ["U0DDD", "U0EEE"]},
        "runbooks": {"approvers": ["U0AAA", "U0BBB", "U0DDD"]},
        "schedule": {"tick": "1s", "post_timeout": "3s"},
    }
)


@dataclass
class Standin:
    url: str
    http: aiohttp.ClientSession

    @property
    def target(self) -> str:
        return self.url.removeprefix("http://")

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(method, self.url + path, json=body) as answer:
            assert answer.status == 200, await answer.text()
            return await answer.json()


@dataclass
class Stack:
    standin: Standin
    prometheus: Prometheus
    alertmanager: Alertmanager
    bot_url: str
    env: dict[str, str]

    async def cli(self, *args: str) -> str:
        """``python -m bot ARGS`` against the bot's database; its stdout."""
        code, out, err = await run_cli(*args, env=self.env)
        assert code == 0, err
        return out


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[Standin]:
    port = free_port()
    with (tmp_path / "standin.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "sandbox.serving", "--host", "127.0.0.1", "--port", str(port), "--no-traffic"),
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        running = Standin(url, http)

        async def live() -> bool:
            try:
                return bool(await running.call("GET", "/health/live"))
            except aiohttp.ClientError:
                return False

        await eventually(live, within=30, description="the stand-in")
        yield running
    process.terminate()
    await process.wait()


@pytest.fixture
def monitoring(tmp_path: Path) -> Iterator[tuple[Prometheus, Alertmanager]]:
    prometheus, alertmanager = Prometheus(tmp_path), Alertmanager(tmp_path)
    try:
        yield prometheus, alertmanager
    finally:
        prometheus.stop()
        alertmanager.stop()


@pytest.fixture
async def stack(
    process_env: dict[str, str],
    standin: Standin,
    monitoring: tuple[Prometheus, Alertmanager],
    start: Callable[..., Any],
    tmp_path: Path,
) -> Stack:
    return await start_stack(CONFIG, process_env, standin, monitoring, start, tmp_path)


async def start_stack(
    policy: str,
    process_env: dict[str, str],
    standin: Standin,
    monitoring: tuple[Prometheus, Alertmanager],
    start: Callable[..., Any],
    tmp_path: Path,
) -> Stack:
    """The bot serving with sre.yaml ``policy``, then Alertmanager and Prometheus on it."""
    config = tmp_path / "alerting.yaml"
    config.write_text(policy)
    port = free_port()
    env = {
        **process_env,
        "SRE_CONFIG": str(config),
        "SERVING_URL": standin.url,
        "PORT": str(port),
        "ALERTMANAGER_TOKEN": TOKEN,
    }
    await start("bot", "serve", "--with-scheduler", env=env)
    bot_url = f"http://127.0.0.1:{port}"

    await wait_ready(bot_url)
    prometheus, alertmanager = monitoring
    alertmanager.start(bot_url=bot_url, token=TOKEN)
    prometheus.start(target=standin.target, alertmanager=alertmanager.url)
    return Stack(standin, prometheus, alertmanager, bot_url, env)


async def _flushed(alertmanager: Alertmanager, *, rounds: int) -> None:
    """Until Alertmanager has flushed its groups ``rounds`` more times (``group_interval``
    2 s), counted by its notification-log lookups: one per flush of each group."""
    before, groups = await asyncio.to_thread(alertmanager.flushes)

    async def done() -> bool:
        now, _ = await asyncio.to_thread(alertmanager.flushes)
        return now >= before + rounds * max(groups, 1)

    await eventually(done, within=60, description=f"{rounds} more flushes of each group")


def _cards(emulator: SlackEmulator) -> list[Message]:
    """The incident cards: top-level messages in the incidents channel."""
    return [m for m in emulator.messages("C0INCIDENTS") if "INC-" in m.text + str(m.blocks)]


def _titled(emulator: SlackEmulator, title: str) -> list[Message]:
    return [m for m in _cards(emulator) if title in m.text + str(m.blocks)]


def incident_of(card: Message) -> str:
    (incident_id,) = set(re.findall(r"INC-[0-9-]+", card.text + str(card.blocks)))
    return incident_id


async def downshift_in_thread(database_url: str, emulator: SlackEmulator, card: Message) -> None:
    """The downshift the card's incident started (found by its run ID) ends ``succeeded``,
    its message in the incident's thread."""
    db = Database(database_url)
    try:
        run_id = await started_run(
            db, runbook="qwen_failure_downshift", incident_id=incident_of(card), within=60
        )
    finally:
        await db.dispose()
    message = await emulator.wait_for(
        lambda e: ended_message(e, run_id),
        timeout=30,
        description=f"the downshift run {run_id} to end",
    )
    assert message.thread_ts == card.ts and message.text.endswith("succeeded"), message.text


async def test_qwen_down_alert_to_downshift_to_resolved_note(
    stack: Stack, emulator: SlackEmulator
) -> None:
    standin = stack.standin
    await standin.call("POST", "/_standin/faults", {"model_down": "qwen"})

    # Prometheus fires QwenModelUnhealthy, Alertmanager posts it, the bot opens one incident.
    (card,) = await emulator.wait_for(
        lambda e: _titled(e, "Qwen model is unhealthy"),
        timeout=60,
        description="the incident card of QwenModelUnhealthy",
    )

    # qwen_failure_downshift runs (three probes 5 s apart) and creative goes to balanced.
    async def downshifted() -> bool:
        routing = await standin.call("GET", "/admin/routing")
        return bool(routing["routing"]["creative"] == "balanced")

    await eventually(downshifted, within=60, description="creative served by balanced")
    await downshift_in_thread(stack.env["DATABASE_URL"], emulator, card)
    breakers = await standin.call("GET", "/admin/circuit-breaker")
    assert breakers["breakers"]["qwen"] == "open"

    # Qwen recovers: the alert resolves, said once in the incident's thread and timeline.
    await standin.call("DELETE", "/_standin/faults")
    incident_id = incident_of(card)
    await emulator.wait_for(
        lambda e: [r for r in e.replies("C0INCIDENTS", card.ts) if ", 1 resolved" in r.text],
        timeout=60,
        description="the resolved note in the incident's thread",
    )
    shown = json.loads(await stack.cli("incident", "show", incident_id, "--json"))
    notes = [entry["note"] or "" for entry in shown["timeline"]]
    assert len([n for n in notes if n.startswith("Resolved in Alertmanager")]) == 1
    # One incident, one downshift: the run linked to the alert's incident, opened none.
    assert _cards(emulator) == [_titled(emulator, "Qwen model is unhealthy")[0]]
    log = await standin.call("GET", "/_standin/requests?method=POST&prefix=/admin/routing")
    assert len(log["requests"]) == 1


BURNING = {"api_availability": "API Availability", "llm_creative_latency": "LLM Creative Mode"}


async def test_one_outage_burning_two_slos_is_one_incident_the_second_page_joins(
    stack: Stack, emulator: SlackEmulator
) -> None:
    """Half the briefs fail and creative is 5 s slow: two SLOs burn, four burn-rate alerts
    fire (a page and a ticket each; each page inhibits its ticket). One fault, one incident:
    the first page opens it, the other SLO's page is about the same trouble (the API and
    the LLM's creative mode, sre.yaml ``incidents.join``) and joins it."""
    standin = stack.standin
    await standin.call(
        "POST",
        "/_standin/faults",
        {"error_rate": 0.5, "added_latency_seconds": 5, "mode": "creative"},
    )
    # Traffic driven by the test (seeded, so the latencies are the same each run): a first
    # batch large enough that fast and balanced never see a handful of slow briefs as a burn.
    await standin.call("POST", "/_standin/traffic", {"requests": 600})

    async def pump() -> None:
        while True:
            await standin.call("POST", "/_standin/traffic", {"requests": 30})
            # Load, not a wait: Prometheus reads the briefs as a rate over its own clock, so
            # they must keep coming while the burn windows fill.
            await asyncio.sleep(0.5)

    traffic = asyncio.create_task(pump())
    try:

        async def four_fire() -> list[dict[str, str]]:
            firing = await asyncio.to_thread(stack.prometheus.firing, "SLOErrorBudgetBurn")
            pairs = {(a["slo"], a["severity"]) for a in firing}
            wanted = {(slo, kind) for slo in BURNING for kind in ("page", "ticket")}
            return firing if wanted <= pairs else []

        await eventually(four_fire, within=60, description="a page and a ticket per SLO")
        for title in BURNING.values():
            await emulator.wait_for(
                lambda e, title=title: _titled(e, f"{title}"),
                timeout=60,
                description=f"the incident of {title}",
            )

        # Alertmanager holds each ticket back: the page of the same SLO inhibits it.
        async def tickets_inhibited() -> bool:
            alerts = await asyncio.to_thread(stack.alertmanager.alerts)
            held = {
                a["labels"].get("slo")
                for a in alerts
                if a["labels"].get("severity") == "ticket"
                and a["status"]["state"] == "suppressed"
                and a["status"]["inhibitedBy"]
            }
            return set(BURNING) <= held

        await eventually(tickets_inhibited, within=30, description="the tickets inhibited")
        await _flushed(stack.alertmanager, rounds=3)  # a ticket let through would be sent
    finally:
        traffic.cancel()
    # …and what Alertmanager sent the bot has had its effect.
    await alerts_worked(stack.env["DATABASE_URL"])
    await posts_settled(stack.env["DATABASE_URL"], kinds=(PostKind.INCIDENT_CARD,))
    cards = [m for m in _cards(emulator) if "error budget burning" in m.text + str(m.blocks)]
    assert len(cards) == 1, [m.text for m in cards]
    card = cards[0].text + str(cards[0].blocks)
    assert "burning fast (page)" in card and "(ticket)" not in card
    # Both pages are on the card's firing alerts; the one that joined says so in the thread.
    assert all(title in card for title in BURNING.values()), card
    thread = [m.text for m in emulator.replies("C0INCIDENTS", cards[0].ts)]
    joined = [text for text in thread if text.startswith("joined: ")]
    assert any("error budget burning fast (page)" in text for text in joined), thread
    assert len(joined) == len(set(joined)), thread  # each source joins once
