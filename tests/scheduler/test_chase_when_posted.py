"""A reminder or an escalation says what is true when it is posted, not when it fell due:
the incident's real age after an outage, and whoever is paged after a handoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.incidents.model import Severity
from tests.scheduler.conftest import START, World

M = timedelta(minutes=1)
SLACK_BACK = timedelta(days=4, minutes=30)
FRIDAY_HANDOFF = datetime(2026, 10, 16, 8, 0, tzinfo=UTC)  # Friday 17:00 in Seoul


async def _declare(world: World, severity: Severity) -> str:
    created = await world.container.incidents.create(
        title="Qwen LLM failure", severity=severity, actor="U0EEE"
    )
    await world.deliver()
    incident = await world.container.incidents.get(incident_id=created.id)
    assert incident.message_ts is not None
    return incident.message_ts


async def test_an_escalation_posted_days_late_says_how_long_it_has_really_waited(
    world: World,
) -> None:
    ts = await _declare(world, Severity.SEV2)
    # Due at 30 minutes and owed then; Slack took nothing until four days later.
    world.clock.set(START + 30 * M)
    await world.duties.tick(world.clock.now())
    world.clock.set(START + SLACK_BACK)
    await world.deliver()
    (escalation,) = [t for t in world.thread(ts) if "Escalation 1" in t]
    assert "no acknowledgement for 4d 0h" in escalation, escalation
    assert "30m 00s" not in escalation


async def test_a_reminder_posted_after_the_handoff_names_who_is_paged_now(world: World) -> None:
    oncall = world.container.oncall
    before = await oncall.who_is_paged(FRIDAY_HANDOFF - timedelta(seconds=1))
    after = await oncall.who_is_paged(FRIDAY_HANDOFF)
    assert before is not None and after is not None and before != after
    world.clock.set(FRIDAY_HANDOFF - 20 * M)
    ts = await _declare(world, Severity.SEV3)
    # Due five minutes before the handoff, owed then, posted a minute after it.
    world.clock.set(FRIDAY_HANDOFF - 5 * M)
    await world.duties.tick(world.clock.now())
    world.clock.set(FRIDAY_HANDOFF + M)
    await world.deliver()
    (reminder,) = [t for t in world.thread(ts) if t.startswith("⏰")]
    assert f"<@{after}>" in reminder and f"<@{before}>" not in reminder, reminder


async def test_an_escalation_due_with_a_reminder_replaces_it_in_the_thread(world: World) -> None:
    ts = await _declare(world, Severity.SEV2)
    for minute in (15, 30, 45, 60, 75):
        await world.at(minute * M)
    chase = [t.split(":")[0] for t in world.thread(ts)]
    assert [("Escalation" in t, "⏰" in t) for t in chase] == [
        (False, True),  # 15m reminder
        (True, False),  # 30m: escalation 1, no reminder beside it
        (False, True),  # 45m reminder
        (True, False),  # 60m: escalation 2 says it, before any reminder
        (False, True),  # 75m reminder
    ], world.thread(ts)


async def test_a_channel_wide_escalation_is_seen_in_the_channel_not_only_in_the_thread(
    world: World,
) -> None:
    ts = await _declare(world, Severity.SEV2)
    for minute in (15, 30, 45, 60):
        await world.at(minute * M)
    channel = world.container.config.channels.incidents
    in_channel = [m.text.split(":")[0] for m in world.emulator.messages(channel)]
    # The card, and escalation 2 (the one that says @channel), also shown in the channel.
    assert len(in_channel) == 2 and in_channel[1] == "🚨 *Escalation 2*", in_channel
    (second,) = world.emulator.messages(channel)[1:]
    assert second.thread_ts == ts and "<!channel>" in second.text
    assert sum("Escalation" in t for t in world.thread(ts)) == 2
