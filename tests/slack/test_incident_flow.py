"""Incidents end to end over HTTP: signed requests in, Web API calls out to the emulator."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.incidents.model import IncidentStatus
from sandbox.slack import Message
from storage.tables import IncidentRow
from tests.slack.conftest import Bot


def _card(bot: Bot) -> Message:
    cards = bot.emulator.messages(bot.incidents_channel)
    if len(cards) != 1:
        raise LookupError(f"expected one card, found {[m.text for m in cards]}")
    return cards[0]


@pytest.mark.engine
async def test_create_ack_and_a_refused_second_ack(bot: Bot) -> None:
    answer = await bot.slack.slash("/incident", "create sev2 Qwen LLM failure", user="U0AAA")
    assert answer.status == 200
    assert answer.elapsed < 3.0

    card = await bot.emulator.wait_for(lambda e: _card(bot), description="the incident card")
    incident_id = card.blocks[0]["text"]["text"].split()[1]
    assert incident_id.startswith("INC-")
    assert "Qwen LLM failure" in str(card.blocks)
    assert [b.action_id for b in bot.emulator.buttons(card.channel, card.ts)] == [
        "incident_ack",
        "incident_status",
        "incident_resolve",
    ]

    click = await bot.slack.click(
        channel=card.channel, ts=card.ts, action_id="incident_ack", user="U0BBB"
    )
    assert click.status == 200
    await bot.emulator.wait_for(
        lambda e: e.message(card.channel, card.ts).history, description="card update"
    )
    updated = bot.emulator.message(card.channel, card.ts)
    assert "<@U0BBB>" in str(updated.blocks) and "Acknowledged" in str(updated.blocks)

    stored = await bot.container.incidents.get(incident_id=incident_id)
    assert stored.status is IncidentStatus.ACKNOWLEDGED
    assert stored.acknowledged_by == "U0BBB"
    assert [(e.action, e.actor) for e in stored.timeline] == [
        ("created", "U0AAA"),
        ("acknowledged", "U0BBB"),
    ]

    # The card lost its Acknowledge; a client still showing the first version presses it.
    assert "incident_ack" not in [b.action_id for b in bot.emulator.buttons(card.channel, card.ts)]
    again = await bot.slack.click(
        channel=card.channel, ts=card.ts, action_id="incident_ack", user="U0CCC", seen=0
    )
    assert again.status == 200
    refusal = await bot.emulator.wait_for(
        lambda e: [r for r in e.responses() if "already acknowledged" in str(r.body)],
        description="the refusal",
    )
    assert refusal[0].body.get("response_type") == "ephemeral"
    assert "<@U0BBB>" in str(refusal[0].body)
    after = await bot.container.incidents.get(incident_id=incident_id)
    assert after.version == stored.version and after.acknowledged_by == "U0BBB"
    assert bot.emulator.violations == []


async def test_broadcast_mentions_in_titles_are_escaped(bot: Bot) -> None:
    await bot.slack.slash(
        "/incident", "create sev3 <!channel> db down <@U0DDD> <!subteam^S0ONCALL>", user="U0AAA"
    )
    card = await bot.emulator.wait_for(lambda e: _card(bot))
    await bot.emulator.wait_for(lambda e: e.responses())
    assert "&lt;!channel&gt;" in str(card.blocks)
    assert bot.emulator.violations == []
    for call in bot.emulator.calls:
        assert "<!channel>" not in str(call.args)
        assert "<@U0DDD>" not in str(call.args)


@pytest.mark.engine
async def test_fifty_concurrent_creates(bot: Bot) -> None:
    answers = await asyncio.gather(
        *(
            bot.slack.slash("/incident", f"create sev3 load test {n}", user="U0AAA")
            for n in range(50)
        )
    )
    assert all(a.status == 200 for a in answers)
    # Each person's confirmation comes after their card is stored, so wait for all 50.
    await bot.emulator.wait_for(lambda e: len(e.responses()) == 50, timeout=60)
    assert len(bot.emulator.messages(bot.incidents_channel)) == 50
    async with bot.container.db.transaction() as session:
        rows = list((await session.execute(select(IncidentRow))).scalars())
    assert len(rows) == 50
    assert len({r.id for r in rows}) == 50
    assert all(r.message_ts for r in rows)
    assert len({r.message_ts for r in rows}) == 50


async def test_incident_times_fall_back_to_the_teams_zone(bot: Bot) -> None:
    """Slack shows ``<!date^…>`` in each reader's zone; where it cannot, the team's (KST)."""
    await bot.slack.slash("/incident", "create sev2 Qwen LLM failure", user="U0AAA")
    card = await bot.emulator.wait_for(lambda e: _card(bot), description="the incident card")
    incident_id = card.blocks[0]["text"]["text"].split()[1]
    stored = await bot.container.incidents.get(incident_id=incident_id)
    seoul = stored.created_at.astimezone(ZoneInfo("Asia/Seoul"))

    shown = await bot.slack.slash("/incident", f"show {incident_id}", user="U0AAA")
    (answer,) = await bot.emulator.wait_for(lambda e: e.responses(shown.response_url))
    text = str(answer.body)
    stamp = int(stored.created_at.timestamp())
    assert f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{seoul:%Y-%m-%d %H:%M} KST>" in text
    assert " UTC>" not in text and "UTC" not in text
    assert bot.emulator.violations == []
