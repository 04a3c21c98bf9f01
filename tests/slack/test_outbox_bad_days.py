"""Slack on a bad day: what the bot owes is posted once, whatever Slack answered."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.incidents.model import IncidentStatus, Severity
from bot.outbox import PostKind
from bot.outbox.deliverer import MAX_BACKOFF
from bot.settings import SreConfig
from sandbox.slack import Message, SlackEmulator
from storage import outbox
from tests.slack.conftest import Bot, running_bot
from tests.support.config import sandbox_config
from tests.support.progress import eventually

REMINDER_EVERY = timedelta(seconds=10)
DECLARED = datetime(2026, 10, 14, 1, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Seoul


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config(
        {
            "incidents": {"ack_reminder_every": f"{REMINDER_EVERY.seconds}s"},
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


@pytest.mark.engine
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


async def test_a_card_posted_but_unrecorded_is_found_under_a_busy_channels_next_page(
    bot: Bot,
) -> None:
    """Between the attempt Slack took (answered 500) and its retry, 250 messages land in
    the channel: the card is found past the first page of history, not posted again."""

    async def a_busy_channel(call: Any, result: dict[str, Any]) -> None:
        for n in range(250):
            bot.emulator.add_user_message(channel=bot.incidents_channel, user="U0CCC", text=f"{n}")

    bot.emulator.on_call("chat.postMessage", a_busy_channel)
    bot.emulator.fail_after_work("chat.postMessage", status=500)
    answer = await bot.slack.slash("/incident", "create sev2 Search is slow", user="U0AAA")
    assert answer.status == 200
    incident_id, ts = await _stored_card(bot)
    bot.emulator.clear_hooks()
    (card,) = _cards(bot)
    assert card.ts == ts and _key(card) == f"card:{incident_id}"


@pytest.mark.engine
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
    answer = await bot.slack.slash("/incident", f"ack {incident.id}", user="U0BBB")
    reply = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url), timeout=60)
    # The reply came while the handoff's first send was still waiting for Slack's answer:
    # it was never queued behind it (the client gives that send up after 10 s, an error).
    async with bot.container.db.transaction() as session:
        (handoff,) = await outbox.of_kind(session, kind=PostKind.ONCALL_HANDOFF)
    assert handoff.state == outbox.PENDING and handoff.attempts == 1, handoff
    assert handoff.last_error is None, handoff
    assert "You acknowledged" in str(reply[0].body)
    stored = await bot.container.incidents.get(incident_id=incident.id)
    assert stored.status is IncidentStatus.ACKNOWLEDGED and stored.acknowledged_by == "U0BBB"


@pytest.mark.engine
async def test_incidents_declared_while_slack_is_down_are_all_posted_once_it_is_back(
    emulator: SlackEmulator, database_url: str, sre_config: SreConfig, serving_url: str
) -> None:
    clock = FixedClock(DECLARED)
    async with running_bot(
        emulator=emulator,
        database_url=database_url,
        sre_config=sre_config,
        serving_url=serving_url,
        clock=clock,
    ) as bot:
        emulator.outage()
        answers = [
            await bot.slack.slash("/incident", f"create sev2 outage {n}", user=user)
            for n, user in enumerate(["U0AAA", "U0BBB", "U0CCC", "U0DDD", "U0EEE"])
        ]
        assert all(a.status == 200 for a in answers)

        # The creates go on after their ack: all five stored (their cards owed) at the
        # declared instant, before the clock moves.
        async def stored() -> bool:
            return len(await bot.container.incidents.list_incidents()) == len(answers)

        await eventually(stored, within=60, description="the five incidents stored")
        runner = bot.container.scheduler_runner()
        deliverer = bot.container.outbox
        assert deliverer is not None
        # Three reminder intervals pass while Slack is down: at each the scheduler ticks
        # (reminders fall due) and the outbox makes a pass (and fails) over what is owed.
        for _ in range(3):
            clock.advance(REMINDER_EVERY)
            await runner.tick_now()
            await deliverer.work_due()
        assert _cards(bot) == []
        tried = emulator.calls_to("chat.postMessage")
        assert tried and {c.status for c in tried} == {503}
        emulator.restore()
        # A pass that met the outage may still be recording its 503s (passes take turns):
        # once this one has run, every failure is recorded at the clock's time.
        await deliverer.work_due()
        # Every retry falls due within the outbox's longest backoff of Slack's return, and
        # the bot's clock moves no further: what was owed must go out within it.
        clock.advance(MAX_BACKOFF)
        await emulator.wait_for(
            lambda e: (
                len(_cards(bot)) == 5
                and all(e.responses(a.response_url) for a in answers)
                and all(_reminders(bot, card) for card in _cards(bot))
            ),
            timeout=60,  # bounds a broken outbox only: the clock above is what is measured
            description="5 cards, 5 answers and the reminders in the cards' threads",
        )
        keys = Counter(_key(m) for m in emulator.messages(bot.incidents_channel))
        assert sorted(keys.values()) == [1] * 5  # one card each, no reminder at the top level
        assert all(len(emulator.responses(a.response_url)) == 1 for a in answers)
        for card in _cards(bot):
            # After the outage one reminder each, not one per 10 s missed.
            assert len(_reminders(bot, card)) == 1


def _reminders(bot: Bot, card: Message) -> list[Message]:
    return [m for m in bot.emulator.replies(card.channel, card.ts) if m.text.startswith("⏰")]
