"""Runbooks named by alerts: at their automation level, once per incident and runbook."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from storage.runbooks import RunbookRunRow
from tests.alerts.conftest import alert, incidents, notification, post, settled
from tests.slack.conftest import Bot
from tests.support.progress import eventually


async def _runs(bot: Bot) -> list[RunbookRunRow]:
    async with bot.container.db.transaction() as session:
        return list((await session.execute(select(RunbookRunRow))).scalars())


@pytest.mark.engine
async def test_an_automatic_runbook_acts_once_in_the_incident_thread(
    bot: Bot, firing: dict[str, Any], serving_url: str
) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{serving_url}/_standin/faults", json={"model_down": "qwen"})
    status, answer = await post(bot.url, firing)
    assert status == 200 and answer["runbooks"] == ["qwen_failure_downshift"]
    # Re-sent with one more alert naming the same runbook: still the one run.
    more = copy.deepcopy(firing)
    more["alerts"].append(copy.deepcopy(firing["alerts"][0]) | {"fingerprint": "77aa"})
    status, again = await post(bot.url, more)
    assert status == 200 and again["firing"] == ["77aa"] and again["runbooks"] == []
    await settled(bot)
    [incident] = await incidents(bot)
    [run] = await _runs(bot)
    assert run.incident_id == incident.id and run.state == "succeeded"
    async with aiohttp.ClientSession() as http:
        routing = await (await http.get(f"{serving_url}/admin/routing")).json()
    assert routing["routing"]["creative"] == "balanced"
    card = bot.emulator.messages(bot.incidents_channel)[0]
    texts = [m.text for m in bot.emulator.replies(card.channel, card.ts)]
    assert any("qwen_failure_downshift" in t and t.endswith("succeeded") for t in texts)


@pytest.mark.engine
async def test_a_semi_automatic_runbook_asks_for_approval_in_the_thread_and_waits(
    bot: Bot, serving_url: str
) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{serving_url}/_standin/faults", json={"reward_runaway": True})
    rollback = alert("rl1", name="RewardRunaway", runbook="rl_reward_runaway_rollback")
    status, answer = await post(bot.url, notification("Reward", [rollback]))
    assert status == 200 and answer["runbooks"] == ["rl_reward_runaway_rollback"]
    await settled(bot)
    [run] = await _runs(bot)
    assert run.state == "waiting_approval"
    card = bot.emulator.messages(bot.incidents_channel)[0]
    replies = bot.emulator.replies(card.channel, card.ts)
    assert any("needs your approval" in m.text for m in replies)
    assert any(bot.emulator.buttons(card.channel, m.ts) for m in replies)


@pytest.mark.engine
async def test_fifty_concurrent_identical_deliveries_start_one_run(
    bot: Bot, firing: dict[str, Any], serving_url: str
) -> None:
    answers = await asyncio.gather(*(post(bot.url, firing) for _ in range(50)))
    assert {status for status, _ in answers} == {200}
    started = [a for _, a in answers if a["runbooks"]]
    assert len(started) == 1 and started[0]["runbooks"] == ["qwen_failure_downshift"]
    assert len([a for _, a in answers if a["opens_incident"]]) == 1
    await settled(bot)
    assert len(await incidents(bot)) == 1 and len(await _runs(bot)) == 1


@pytest.mark.engine
async def test_a_slow_run_never_holds_up_the_next_alerts_incident(
    bot: Bot, firing: dict[str, Any], serving_url: str
) -> None:
    # Every health probe of the run hangs until the serving client gives up on it (5 s), so
    # its first check takes three timed-out probes and two 5 s waits: half a minute or more.
    async with aiohttp.ClientSession() as http:
        hang = {"route": "/health/llm", "hang_seconds": 600}
        assert (await http.post(f"{serving_url}/_standin/faults", json=hang)).status == 200
    status, answer = await post(bot.url, firing)
    assert status == 200 and answer["runbooks"] == ["qwen_failure_downshift"]
    await bot.emulator.wait_for(lambda e: e.messages(bot.incidents_channel), timeout=60)

    async def probing() -> RunbookRunRow | None:
        runs = await _runs(bot)
        return runs[0] if runs and runs[0].state == "running" else None

    slow = await eventually(probing, within=60, description="the run to be checking Qwen")
    status, _ = await post(bot.url, notification("Checkout", [alert("c1", name="CheckoutErrors")]))
    assert status == 200

    # The second incident's card is out while the first run still waits on its probes: the
    # alerts worker only stored that run, and the runs worker checks on its own.
    await bot.emulator.wait_for(
        lambda e: len(e.messages(bot.incidents_channel)) == 2,
        timeout=60,
        description="the second incident's card",
    )
    [still] = [run for run in await _runs(bot) if run.id == slow.id]
    assert still.state == "running"
    assert len(await incidents(bot)) == 2
    async with aiohttp.ClientSession() as http:  # wake the hung probe: a quick teardown
        await http.delete(f"{serving_url}/_standin/faults")


def _pages(bot: Bot) -> list[str]:
    """The on-call pages of runs as Slack received them."""
    posted = [str(call.args.get("text", "")) for call in bot.emulator.calls_to("chat.postMessage")]
    return [text for text in posted if text.startswith("📟")]


async def test_the_page_of_a_run_an_alert_started_names_the_alert(
    bot: Bot, firing: dict[str, Any], serving_url: str
) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{serving_url}/_standin/faults", json={"model_down": "qwen"})
    status, answer = await post(bot.url, firing)
    assert status == 200 and answer["runbooks"] == ["qwen_failure_downshift"]
    await settled(bot)

    [run] = await _runs(bot)
    assert run.state == "succeeded"
    [page] = _pages(bot)
    assert "Qwen is failing: the alert QwenHealthCheckFailing reported it" in page, page
    assert "probe" not in page
