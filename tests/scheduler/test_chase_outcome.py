"""Once an incident is taken, nothing about it still asks to be taken: the reminders and
escalations already in its thread trade their Acknowledge for who took it, and its card
keeps only the buttons its status still has."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.incidents.model import IncidentStatus, Severity
from tests.scheduler.conftest import World

M = timedelta(minutes=1)


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        element["text"]["text"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def test_an_acknowledgement_turns_every_chase_message_into_who_took_it(
    world: World,
) -> None:
    created = await world.container.incidents.create(
        title="Qwen LLM failure", severity=Severity.SEV2, actor="U0EEE"
    )
    await world.deliver()
    for minute in (15, 30):
        await world.at(minute * M)
    channel = world.container.config.channels.incidents
    card = world.emulator.messages(channel)[-1]
    chase = world.emulator.replies(channel, card.ts)
    assert [m.text.split(":")[0] for m in chase] == [
        "⏰ <@U0AAA>, *" + created.id + "* (Sev2) is still unacknowledged after 15m 00s",
        "🚨 *Escalation 1*",
    ]
    assert all(_buttons(m.blocks) == ["Acknowledge"] for m in chase)

    world.clock.set(world.clock.now() + 5 * M)
    await world.container.incidents.acknowledge(incident_id=created.id, actor="U0CCC")
    await world.deliver()

    reminder, escalation = world.emulator.replies(channel, card.ts)
    for message, what in ((reminder, "⏰ Reminder"), (escalation, "🚨 Escalation 1")):
        assert _buttons(message.blocks) == [], message.blocks
        assert message.text.startswith(f"{what}: ✅ *{created.id}* (Sev2) was acknowledged by"), (
            message.text
        )
        assert "<@U0CCC> after 35m" in message.text, message.text
    card = world.emulator.messages(channel)[-1]
    assert _buttons(card.blocks) == ["Update status", "Resolve"]


async def test_a_resolved_card_offers_nothing_to_press_and_says_what_comes_next(
    world: World,
) -> None:
    created = await world.container.incidents.create(
        title="Qwen LLM failure", severity=Severity.SEV3, actor="U0EEE"
    )
    await world.deliver()
    await world.container.incidents.update_status(
        created.id, IncidentStatus.RESOLVED, "restarted qwen", actor="U0CCC"
    )
    await world.deliver()
    channel = world.container.config.channels.incidents
    (card,) = world.emulator.messages(channel)[-1:]
    assert _buttons(card.blocks) == []
    assert f"/incident close {created.id}" in str(card.blocks)
