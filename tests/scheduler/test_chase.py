"""Reminders every 15 minutes, escalation by response time, silence after an ack."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.incidents.model import IncidentStatus, Severity
from bot.incidents.posts import Reminder, bare, card_key
from bot.outbox import PostKind
from bot.outbox.owing import owe_one
from handlers.posts.slack import POST_EVENT
from storage import outbox
from storage.tables import PostRow
from tests.scheduler.conftest import World

M = timedelta(minutes=1)


async def _declare(world: World, severity: Severity = Severity.SEV2) -> tuple[str, str]:
    created = await world.container.incidents.create(
        title="Qwen LLM failure", severity=severity, actor="U0AAA"
    )
    await world.deliver()
    incident = await world.container.incidents.get(incident_id=created.id)
    assert incident.message_ts is not None
    return incident.id, incident.message_ts


@pytest.mark.engine
async def test_sev2_reminders_at_15_and_45_and_escalation_at_30(world: World) -> None:
    incident_id, ts = await _declare(world)
    for minute in range(0, 50):
        await world.at(minute * M)
    thread = world.thread(ts)
    reminders = [t for t in thread if t.startswith("⏰")]
    escalations = [t for t in thread if t.startswith("🚨 *Escalation")]
    # The 30-minute reminder is said by the escalation due then.
    assert len(reminders) == 2
    assert ["15m 00s" in reminders[0], "45m 00s" in reminders[1]] == [True] * 2
    assert all("<@U0AAA>" in r for r in reminders)  # the weekday on-call of that week
    assert len(escalations) == 1 and "Escalation 1" in escalations[0]
    assert "<!subteam^S0ONCALL>" in escalations[0] and "<@U0DDD>" in escalations[0]
    assert "<!channel>" not in escalations[0]
    async with world.container.db.transaction() as session:
        rows = (await session.execute(select(PostRow))).scalars()
        keys = [
            p.key
            for p in rows
            if p.kind in (PostKind.INCIDENT_REMINDER, PostKind.INCIDENT_ESCALATION)
        ]
    assert len(keys) == len(set(keys)) == 4  # the 30-minute reminder kept as decided
    assert all(incident_id in k for k in keys)


@pytest.mark.engine
async def test_second_escalation_reaches_the_channel(world: World) -> None:
    _, ts = await _declare(world, Severity.SEV1)
    for minute in (15, 30):
        await world.at(minute * M)
    escalations = [t for t in world.thread(ts) if "Escalation" in t]
    assert [("Escalation 1" in e, "<!channel>" in e) for e in escalations] == [
        (True, False),
        (False, True),
    ]


@pytest.mark.engine
async def test_nothing_after_an_ack(world: World) -> None:
    incident_id, ts = await _declare(world)
    await world.at(15 * M)
    world.clock.set(world.clock.now() + 2 * M)
    await world.container.incidents.acknowledge(incident_id=incident_id, actor="U0BBB")
    for minute in range(17, 120, 1):
        await world.at(minute * M)
    assert len(world.thread(ts)) == 1


async def test_an_ack_just_before_the_due_reminder_wins(world: World) -> None:
    incident_id, ts = await _declare(world)
    world.clock.set(world.clock.now() + 15 * M - timedelta(seconds=1))
    await world.container.incidents.acknowledge(incident_id=incident_id, actor="U0BBB")
    await world.at(15 * M)
    assert world.thread(ts) == []


@pytest.mark.engine
async def test_a_reminder_racing_an_ack_never_appears_after_it(world: World) -> None:
    declared = [await _declare(world) for _ in range(8)]
    world.clock.set(world.clock.now() + 15 * M)
    acks = [
        world.container.incidents.acknowledge(incident_id=i, actor="U0BBB") for i, _ in declared
    ]
    await asyncio.gather(world.duties.tick(world.clock.now()), *acks)
    await world.deliver()
    for incident_id, ts in declared:
        assert (
            await world.container.incidents.get(incident_id=incident_id)
        ).status is IncidentStatus.ACKNOWLEDGED
        # What a person sees: the card turning "acknowledged" (chat.update) is never
        # followed by a reminder in its thread.
        acked_at = min(
            c.at for c in world.emulator.calls_to("chat.update") if c.args.get("ts") == ts
        )
        reminders = [
            c for c in world.emulator.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts
        ]
        assert all(r.at < acked_at for r in reminders)


async def test_after_downtime_one_reminder_not_a_burst(world: World) -> None:
    _, ts = await _declare(world)
    await world.at(50 * M)
    assert len([t for t in world.thread(ts) if t.startswith("⏰")]) == 1
    await world.at(55 * M)
    assert len([t for t in world.thread(ts) if t.startswith("⏰")]) == 1
    await world.at(75 * M)
    assert len([t for t in world.thread(ts) if t.startswith("⏰")]) == 2


async def test_a_resolved_sev2_without_postmortem_is_nudged_daily(world: World) -> None:
    incident_id, ts = await _declare(world)
    await world.container.incidents.resolve(
        incident_id=incident_id, resolution="restarted", actor="U0BBB"
    )
    for hours in (1, 23, 24, 30, 47, 48):
        await world.at(timedelta(hours=hours))
    nudges = [t for t in world.thread(ts) if t.startswith("📝")]
    assert len(nudges) == 2
    await world.container.incidents.complete_postmortem(
        incident_id, "https://wiki.example/pm", "U0BBB"
    )
    await world.at(timedelta(hours=72))
    assert len([t for t in world.thread(ts) if t.startswith("📝")]) == 2


async def _begin_delivery(world: World, key: str, incident_id: str) -> None:
    """What a process leaves behind when it dies in the middle of sending ``key``: the post
    owed and leased (an attempt begun), nothing recorded."""
    now = world.clock.now()
    incident = await world.container.incidents.get(incident_id=incident_id)
    async with world.container.db.transaction() as session:
        reminder = Reminder(
            key=key,
            subject=incident_id,
            channel="C0INCIDENTS",
            thread_key=card_key(incident_id),
            incident=bare(incident),
            number=1,
        )
        assert await owe_one(session, reminder, at=now)
        taken = await outbox.lease_all(session, [key], now=now, until=now + timedelta(seconds=30))
        assert [row.key for row in taken] == [key]


@pytest.mark.engine
async def test_a_post_that_reached_slack_before_a_crash_is_not_repeated(world: World) -> None:
    incident_id, ts = await _declare(world)
    world.clock.set(world.clock.now() + 15 * M)
    key = f"reminder:{incident_id}:{world.clock.now().isoformat()}"
    await _begin_delivery(world, key, incident_id)
    # The dying process's post reached Slack, carrying its key.
    assert world.container.slack is not None
    await world.container.slack.chat_postMessage(
        channel="C0INCIDENTS",
        thread_ts=ts,
        text="⏰ reminder",
        metadata={"event_type": POST_EVENT, "event_payload": {"key": key}},
    )
    await world.at(15 * M + timedelta(seconds=10))  # still leased: left alone
    await world.at(15 * M + timedelta(seconds=31))  # the lease ran out: looked up, not resent
    assert len(world.thread(ts)) == 1
    async with world.container.db.transaction() as session:
        recorded = await outbox.get(session, key)
    assert recorded is not None and recorded.ts == world.emulator.replies("C0INCIDENTS", ts)[0].ts


@pytest.mark.engine
async def test_a_post_a_crash_cut_short_before_slack_is_sent_once_the_lease_ends(
    world: World,
) -> None:
    incident_id, ts = await _declare(world)
    world.clock.set(world.clock.now() + 15 * M)
    key = f"reminder:{incident_id}:{world.clock.now().isoformat()}"
    await _begin_delivery(world, key, incident_id)  # died before posting
    await world.at(15 * M + timedelta(seconds=31))
    assert len([t for t in world.thread(ts) if t.startswith("⏰")]) == 1


async def test_a_failed_post_is_retried_not_lost(world: World) -> None:
    _, ts = await _declare(world)
    world.emulator.fail("chat.postMessage", "internal_error", times=1)
    await world.at(15 * M)
    assert world.thread(ts) == []
    await world.at(16 * M)
    assert len([t for t in world.thread(ts) if t.startswith("⏰")]) == 1
