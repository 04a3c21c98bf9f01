"""Slack on a bad day: what the bot owes is posted once, whatever Slack answered."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from bot.incidents.model import IncidentStatus, Severity
from bot.settings import SreConfig
from sandbox.slack import Message
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config(
        {
            "incidents": {"ack_reminder_every": "10s"},
            "oncall": {"weekday": ["U0AAA", "U0BBB"], "weekend": ["U0DDD"]},
            "schedule": {"tick": "1s"},
        }
    )


def _key(message: Message) -> str:
    return str(((message.metadata or {}).get("event_payload") or {}).get("key", ""))


def _cards(bot: Bot) -> list[Message]:
    return [m for m in bot.emulator.messages(bot.incidents_channel) if _key(m).startswith("card:")]


async def _stored_card(bot: Bot) -> tuple[str, str]:
    """The one incident and the ts its row remembers, once the outbox recorded it."""

    async def recorded() -> tuple[str, str] | None:
        for incident in await bot.container.incidents.list_incidents():
            if incident.message_ts:
                return incident.id, incident.message_ts
        return None

    for _ in range(400):
        found = await recorded()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("the card was never recorded")


@pytest.mark.parametrize("fault", ["500 after posting", "an answer after 35 s"])
async def test_a_card_slack_posted_but_answered_badly_is_posted_once(bot: Bot, fault: str) -> None:
    if fault == "500 after posting":
        bot.emulator.fail_after_work("chat.postMessage", status=500)
    else:
        bot.emulator.stall("chat.postMessage", 35)
    answer = await bot.slack.slash("/incident", "create sev2 Checkout errors", user="U0AAA")
    assert answer.status == 200
    incident_id, ts = await _stored_card(bot)
    (card,) = _cards(bot)
    assert card.ts == ts and _key(card) == f"card:{incident_id}"
    # The card the bot remembers is the one with the working buttons: an ack edits it.
    await bot.slack.click(
        channel=card.channel, ts=card.ts, action_id="incident_ack", user="U0BBB", value=incident_id
    )
    await bot.emulator.wait_for(
        lambda e: "U0BBB" in str(e.message(card.channel, card.ts).blocks), timeout=20
    )
    assert len(_cards(bot)) == 1
    await bot.emulator.wait_for(lambda e: e.responses(answer.response_url), timeout=20)
    assert len(bot.emulator.responses(answer.response_url)) == 1


async def test_an_ack_is_not_held_up_by_a_stalled_handoff_post(bot: Bot) -> None:
    incident = await bot.container.incidents.create(
        title="Payments down", severity=Severity.SEV2, actor="U0AAA"
    )
    await bot.delivered()
    bot.emulator.stall("chat.postMessage", 10)
    await bot.slack.slash("/oncall", "handoff", user="U0AAA", channel="C0ONCALL")
    await bot.emulator.wait_for(
        lambda e: [c for c in e.calls_to("chat.postMessage") if "handoff" in str(c.args)],
        description="the handoff post reaching Slack (its answer stalls 10 s)",
    )
    started = time.monotonic()
    answer = await bot.slack.slash("/incident", f"ack {incident.id}", user="U0BBB")
    reply = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url), timeout=3)
    assert time.monotonic() - started < 3
    assert "You acknowledged" in str(reply[0].body)
    stored = await bot.container.incidents.get(incident_id=incident.id)
    assert stored.status is IncidentStatus.ACKNOWLEDGED and stored.acknowledged_by == "U0BBB"


async def test_incidents_declared_while_slack_is_down_are_all_posted_once_it_is_back(
    bot: Bot,
) -> None:
    bot.emulator.outage()
    answers = [
        await bot.slack.slash("/incident", f"create sev2 outage {n}", user=user)
        for n, user in enumerate(["U0AAA", "U0BBB", "U0CCC", "U0DDD", "U0EEE"])
    ]
    assert all(a.status == 200 for a in answers)
    runner = bot.container.scheduler_runner()
    await runner.start()  # reminders fall due (every 10 s) while Slack is down
    try:
        await asyncio.sleep(30)
        assert _cards(bot) == []
        bot.emulator.restore()
        back = time.monotonic()
        await bot.emulator.wait_for(
            lambda e: (
                len(_cards(bot)) == 5
                and all(e.responses(a.response_url) for a in answers)
                and all(_reminders(bot, card) for card in _cards(bot))
            ),
            timeout=30,
            description="5 cards, 5 answers and the reminders in the cards' threads",
        )
        assert time.monotonic() - back < 30
    finally:
        await runner.stop()
    keys = Counter(_key(m) for m in bot.emulator.messages(bot.incidents_channel))
    assert sorted(keys.values()) == [1] * 5  # one card each, no reminder at the top level
    assert all(len(bot.emulator.responses(a.response_url)) == 1 for a in answers)
    for card in _cards(bot):
        # After the outage one reminder each, not one per 10 s missed.
        assert len(_reminders(bot, card)) <= 2


def _reminders(bot: Bot, card: Message) -> list[Message]:
    return [m for m in bot.emulator.replies(card.channel, card.ts) if m.text.startswith("⏰")]
