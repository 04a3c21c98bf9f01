"""The card shows what happened last: a note or a status change appears on it."""

from __future__ import annotations

from bot.incidents.model import Severity
from tests.slack.conftest import Bot


def _card_text(bot: Bot, ts: str) -> str:
    return str(bot.emulator.message(bot.incidents_channel, ts).blocks)


async def test_the_card_shows_the_latest_note_and_then_the_latest_status_change(bot: Bot) -> None:
    incident = await bot.container.incidents.create(
        title="Checkout answers 502", severity=Severity.SEV2, actor="U0AAA"
    )
    await bot.delivered()
    card = await bot.container.incidents.get(incident_id=incident.id, timeline=False)
    assert card.message_ts is not None
    assert "Latest" not in _card_text(bot, card.message_ts)

    note = await bot.slack.slash(
        "/incident", f"note {incident.id} rolled back the gateway", user="U0BBB"
    )
    await bot.emulator.wait_for(lambda e: e.responses(note.response_url))
    await bot.delivered()
    shown = _card_text(bot, card.message_ts)
    assert "*Latest:* note — rolled back the gateway · <@U0BBB>" in shown

    status = await bot.slack.slash("/incident", f"status {incident.id} mitigated", user="U0AAA")
    await bot.emulator.wait_for(lambda e: e.responses(status.response_url))
    await bot.delivered()
    shown = _card_text(bot, card.message_ts)
    assert "*Latest:* status → mitigated" in shown and "rolled back the gateway" not in shown
