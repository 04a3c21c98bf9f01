"""``/runbook`` and ``/health`` in process: lists, dry runs, incident threads, refusals."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.incidents.model import Severity
from bot.settings import SreConfig
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config(
        {
            "oncall": {"weekday": ["U0AAA", "U0BBB"], "weekend": ["U0DDD"]},
            "runbooks": {"approvers": ["U0AAA", "U0BBB", "U0DDD"]},
        }
    )


async def _reply(bot: Bot, command: str, text: str, user: str = "U0AAA") -> str:
    answer = await bot.slack.slash(command, text, user=user, channel="C0ONCALL")
    assert answer.status == 200 and answer.elapsed < 3
    posts = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    return str(posts[0].body)


def _texts(value: Any) -> list[str]:
    """Every text a person reads in a message's blocks."""
    if isinstance(value, dict):
        return [
            t
            for k, v in value.items()
            for t in ([v] if k == "text" and isinstance(v, str) else _texts(v))
        ]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return []


async def test_list_and_health(bot: Bot) -> None:
    listing = await _reply(bot, "/runbook", "list")
    for name in (
        "qwen_failure_downshift",
        "rl_reward_runaway_rollback",
        "api_high_latency_scaleup",
    ):
        assert name in listing
    health = await _reply(bot, "/health", "qwen")
    assert "Model health: healthy" in health
    assert "*qwen* loaded yes · inference ready yes" in health
    assert "loaded True" not in health
    assert "Unknown model" in await _reply(bot, "/health", "gpt")


async def test_health_of_a_down_model_reads_no(bot: Bot, serving_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{serving_url}/_standin/faults", json={"model_down": "qwen"})
    health = await _reply(bot, "/health", "qwen")
    assert "*qwen* loaded no · inference ready no" in health


@pytest.mark.engine
async def test_a_run_started_from_an_incident_lives_in_its_thread_and_opens_no_second(
    bot: Bot, serving_url: str
) -> None:
    incident = await bot.container.incidents.create(
        title="Qwen slow", severity=Severity.SEV2, actor="U0AAA"
    )
    await bot.delivered()
    async with aiohttp.ClientSession() as http:
        await http.post(f"{serving_url}/_standin/faults", json={"model_down": "qwen"})
    await bot.slack.slash(
        "/runbook",
        f"run qwen_failure_downshift --incident {incident.id}",
        user="U0BBB",
        channel="C0ONCALL",
    )
    card = bot.emulator.messages(bot.incidents_channel)[0]
    replies = await bot.emulator.wait_for(
        lambda e: [m for m in e.replies(card.channel, card.ts) if m.text.endswith("succeeded")],
        timeout=30,
    )
    assert "qwen_failure_downshift" in replies[0].text
    assert len(bot.emulator.messages(bot.incidents_channel)) == 1  # linked, not a second incident
    assert [i.id for i in await bot.container.incidents.list_incidents()] == [incident.id]
    assert bot.emulator.violations == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("run", "Usage"),
        ("run qwen_failure_downshift --incident", "Say which incident"),
        (
            "run qwen_failure_downshift --incident INC-20990101-000000",
            "No incident INC-20990101-000000",
        ),
        ("run qwen_failure_downshift nowhere", "acts on qwen"),
        ("status", "Usage"),
    ],
)
async def test_bad_runbook_input(bot: Bot, text: str, expected: str) -> None:
    assert expected in await _reply(bot, "/runbook", text)
    assert await bot.container.runbooks.list_runs(active_only=False) == []


async def test_a_runs_steps_read_as_outcomes_and_full_shows_the_answers(
    bot: Bot, serving_url: str
) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{serving_url}/_standin/faults", json={"model_down": "qwen"})
    await bot.slack.slash(
        "/runbook", "run qwen_failure_downshift", user="U0BBB", channel="C0ONCALL"
    )
    done = await bot.emulator.wait_for(
        lambda e: [
            m
            for m in e.messages("C0ONCALL")
            if m.text.startswith("RUN-") and m.text.endswith("succeeded")
        ],
        timeout=30,
    )
    shown = "\n".join(_texts(done[0].blocks))
    assert "creative now served by balanced" in shown
    assert "qwen's breaker is now open" in shown
    assert "answered {" not in shown and '"routing"' not in shown  # no payload, whole or cut

    run_id = done[0].text.split()[0]
    brief = await _reply(bot, "/runbook", f"status {run_id}")
    assert "creative now served by balanced" in brief and '"routing"' not in brief
    full = await _reply(bot, "/runbook", f"status {run_id} --full")
    assert '"routing": {' in full and '"creative": "balanced"' in full
    assert '"breakers": {' in full and '"qwen": "open"' in full
    assert "Usage" in await _reply(bot, "/runbook", f"status {run_id} {run_id}")
    assert bot.emulator.violations == []


async def test_a_run_not_needed_says_so_and_why_in_its_message_and_its_status(
    bot: Bot, serving_url: str
) -> None:
    async with aiohttp.ClientSession() as http:  # downshifted already, by an earlier run
        await http.post(f"{serving_url}/_standin/faults", json={"model_down": "qwen"})
        breaker = {"model": "qwen", "state": "open"}
        await http.post(f"{serving_url}/admin/circuit-breaker", json=breaker)
        routing = {"mode": "creative", "serve_with": "balanced"}
        await http.post(f"{serving_url}/admin/routing", json=routing)
    await bot.slack.slash(
        "/runbook", "run qwen_failure_downshift", user="U0BBB", channel="C0ONCALL"
    )
    done = await bot.emulator.wait_for(
        lambda e: [
            m
            for m in e.messages("C0ONCALL")
            if m.text.startswith("RUN-") and m.text.endswith("not needed")
        ],
        timeout=30,
    )
    why = "not needed: already in place (creative is served by balanced and qwen's breaker is open)"
    shown = "\n".join(_texts(done[0].blocks))
    assert "☑️ RUN-" in shown and "*State* not needed" in shown and why in shown
    assert bot.emulator.buttons(done[0].channel, done[0].ts) == []  # nothing left to cancel
    run_id = done[0].text.split()[0]
    status = await _reply(bot, "/runbook", f"status {run_id}")
    assert "*State* not needed" in status and why in status
    await bot.delivered()
    posted = [str(c.args.get("text")) for c in bot.emulator.calls_to("chat.postMessage")]
    assert len(posted) == 1 and posted[0].startswith(run_id)  # its message; no page
