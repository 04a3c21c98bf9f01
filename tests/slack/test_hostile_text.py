"""Text no Slack client would type, on both databases alike."""

from __future__ import annotations

import pytest

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


@pytest.mark.engine
async def test_a_nul_byte_after_an_id_is_removed_too(bot: Bot) -> None:
    incident = await bot.container.incidents.create(
        title="x", severity=Severity.SEV3, actor="U0AAA"
    )
    answer = await bot.slack.slash("/incident", f"ack {incident.id}\x00", user="U0BBB")
    reply = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert "Something went wrong" not in str(reply[0].body)
    stored = await bot.container.incidents.get(incident_id=incident.id)
    assert stored.acknowledged_by == "U0BBB"


def _block_text(block: dict[str, object]) -> str:
    text = block.get("text")
    if isinstance(text, dict):
        return str(text.get("text", ""))
    return " ".join(str(e.get("text", "")) for e in block.get("elements", []))  # type: ignore[union-attr]


@pytest.mark.engine
async def test_a_long_postmortem_draft_is_posted_whole_within_slacks_limits(bot: Bot) -> None:
    title = "checkout & payments <down> " * 111  # 3,000 characters, longer once escaped
    incident = await bot.container.incidents.create(
        title=title[:3000], severity=Severity.SEV2, actor="U0AAA"
    )
    for n in range(30):
        note = f"note-{n:02d} " + ("the queue grew & grew " * 150)[: 2990 - 8]
        await bot.container.incidents.add_note(incident_id=incident.id, text=note, actor="U0BBB")
    await bot.container.incidents.resolve(
        incident_id=incident.id, resolution="drained the queue", actor="U0BBB"
    )
    await bot.delivered()
    answer = await bot.slack.slash("/incident", f"postmortem {incident.id}", user="U0AAA")
    reply = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert "Posted a postmortem draft" in str(reply[0].body)
    await bot.delivered()

    (card,) = bot.emulator.messages(bot.incidents_channel)
    drafts = [
        m for m in bot.emulator.replies(card.channel, card.ts) if "Postmortem draft" in m.text
    ]
    assert len(drafts) > 1
    assert bot.emulator.violations == []
    failed = [c.error for c in bot.emulator.calls_to("chat.postMessage") if not c.ok]
    assert failed == []
    shown = ""
    for draft in drafts:
        assert len(draft.blocks) <= 50
        texts = [_block_text(b) for b in draft.blocks]
        assert all(t.strip() for t in texts)
        assert all(len(t) <= 3000 for t in texts)
        assert len(_block_text(draft.blocks[0])) <= 150
        assert sum(len(t) for t in texts) <= 13_000
        shown += "\n".join(texts)
    for n in range(30):
        assert f"note-{n:02d}" in shown
    assert "drained the queue" in shown
    assert shown.count("checkout &amp; payments &lt;down&gt;") >= 111
