"""Text no Slack client would type, on both databases alike (issue 12, item 4)."""

from __future__ import annotations

from bot.incidents.model import Severity
from tests.slack.conftest import Bot


async def test_nul_bytes_in_slash_text_are_removed_on_both_databases(bot: Bot) -> None:
    answer = await bot.slack.slash("/incident", "create sev3 db\x00 down\x00", user="U0AAA")
    reply = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert "Something went wrong" not in str(reply[0].body)
    (incident,) = await bot.container.incidents.list_incidents()
    assert incident.title == "db down"

    note = await bot.slack.slash("/incident", f"note {incident.id} re\x00started", user="U0AAA")
    reply = await bot.emulator.wait_for(lambda e: e.responses(note.response_url))
    assert "Something went wrong" not in str(reply[0].body)
    stored = await bot.container.incidents.get(incident_id=incident.id)
    assert [e.note for e in stored.timeline if e.action == "note"] == ["restarted"]


async def test_a_nul_byte_after_an_id_is_removed_too(bot: Bot) -> None:
    incident = await bot.container.incidents.create(
        title="x", severity=Severity.SEV3, actor="U0AAA"
    )
    answer = await bot.slack.slash("/incident", f"ack {incident.id}\x00", user="U0BBB")
    reply = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert "Something went wrong" not in str(reply[0].body)
    stored = await bot.container.incidents.get(incident_id=incident.id)
    assert stored.acknowledged_by == "U0BBB"
