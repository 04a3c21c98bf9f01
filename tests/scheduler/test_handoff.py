"""The Friday 17:00 handoff: posted once, the right people, confirmed by the incoming on-call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.incidents.model import Severity
from sandbox.slack import Message
from tests.scheduler.conftest import START, World

# Friday 2026-10-16 17:00 in Seoul: the handoff that starts rotation week 145 (the anchor
# week 0 is Friday 2024-01-05). Weekday pool [A, B, C]: 144 % 3 = 0 → A hands to B;
# weekend pool [D, E]: 144 % 2 = 0 → D hands to E, who is paged from 17:00.
HANDOFF = datetime(2026, 10, 16, 8, 0, tzinfo=UTC)


async def _handoff_post(world: World) -> Message:
    posts = world.emulator.messages(world.container.config.channels.oncall)
    assert len(posts) == 1, [p.text for p in posts]
    return posts[0]


@pytest.mark.engine
async def test_the_handoff_is_posted_once_with_the_right_people(world: World) -> None:
    older = await world.container.incidents.create(
        title="cache slow", severity=Severity.SEV3, actor="U0AAA"
    )
    await world.container.incidents.acknowledge(incident_id=older.id, actor="U0AAA")
    waiting = await world.container.incidents.create(
        title="reward runaway", severity=Severity.SEV2, actor="U0AAA"
    )

    await world.at(HANDOFF - START - timedelta(seconds=1))
    assert world.emulator.messages(world.container.config.channels.oncall) == []
    await world.at(HANDOFF - START)
    await world.at(HANDOFF - START + timedelta(minutes=1))
    post = await _handoff_post(world)
    text = str(post.blocks)
    assert "Weekend*: <@U0DDD> → <@U0EEE>" in text
    assert "Weekday*: <@U0AAA> → <@U0BBB>" in text
    assert text.index(f"*{waiting.id}*") < text.index(f"*{older.id}*")  # unacknowledged first
    assert "SLO status" in text and "data unavailable: PROMETHEUS_URL is not set" in text
    assert "VPN access works" in text and "post-on-call retrospective" in text
    assert "Next handoffs: Fri 23 Oct 17:00 · Fri 30 Oct 17:00" in text
    assert [b.action_id for b in world.emulator.buttons(post.channel, post.ts)] == [
        "handoff_confirm"
    ]
    assert world.emulator.usergroup_members("S0ONCALL") == ["U0BBB", "U0EEE"]
    assert world.emulator.violations == []


@pytest.mark.engine
async def test_only_the_incoming_on_call_confirms_and_nobody_is_reminded_then(world: World) -> None:
    await world.at(HANDOFF - START)
    post = await _handoff_post(world)
    refused = await world.slack.click(
        channel=post.channel, ts=post.ts, action_id="handoff_confirm", user="U0AAA"
    )
    reply = await world.emulator.wait_for(lambda e: e.responses(refused.response_url))
    assert "Only <@U0EEE>" in str(reply[0].body)
    await world.slack.click(
        channel=post.channel, ts=post.ts, action_id="handoff_confirm", user="U0EEE"
    )
    await world.emulator.wait_for(
        lambda e: "has it" in str(e.message(post.channel, post.ts).blocks)
    )
    assert world.emulator.buttons(post.channel, post.ts) == []
    await world.at(HANDOFF - START + timedelta(minutes=31))
    assert world.emulator.replies(post.channel, post.ts) == []


async def test_an_unconfirmed_handoff_reminds_both_once(world: World) -> None:
    await world.at(HANDOFF - START)
    post = await _handoff_post(world)
    await world.at(HANDOFF - START + timedelta(minutes=29))
    assert world.emulator.replies(post.channel, post.ts) == []
    for minutes in (30, 31, 45):
        await world.at(HANDOFF - START + timedelta(minutes=minutes))
    replies = world.emulator.replies(post.channel, post.ts)
    assert len(replies) == 1
    assert "<@U0EEE>" in replies[0].text and "<@U0AAA>" in replies[0].text


async def test_a_handoff_missed_by_more_than_six_hours_is_not_posted_late(world: World) -> None:
    await world.at(HANDOFF - START + timedelta(hours=7))
    assert world.emulator.messages(world.container.config.channels.oncall) == []


@pytest.mark.engine
async def test_a_refused_user_group_update_is_reported_in_the_oncall_channel(world: World) -> None:
    world.emulator.fail("usergroups.users.update", "permission_denied", times=1)
    await world.at(HANDOFF - START)
    texts = [m.text for m in world.emulator.messages(world.container.config.channels.oncall)]
    assert len(texts) == 2
    assert "Could not update the on-call user group S0ONCALL" in texts[1]
    assert world.emulator.usergroup_members("S0ONCALL") != []
