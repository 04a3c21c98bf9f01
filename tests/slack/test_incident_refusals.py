"""Bad requests and bad input over Slack: a clear answer to the person, nothing changed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.incidents.model import Severity
from storage.tables import AuditRow, IncidentRow, TimelineRow
from tests.slack.conftest import Bot


async def _snapshot(bot: Bot) -> tuple[list[tuple[str, str, int]], int, int]:
    async with bot.container.db.transaction() as session:
        incidents = [
            (r.id, r.status, r.version)
            for r in (await session.execute(select(IncidentRow))).scalars()
        ]
        timeline = len(list((await session.execute(select(TimelineRow))).scalars()))
        audit = len(list((await session.execute(select(AuditRow))).scalars()))
    return incidents, timeline, audit


async def _reply_to(bot: Bot, response_url: str) -> str:
    posts = await bot.emulator.wait_for(lambda e: e.responses(response_url), description="a reply")
    assert posts[0].body.get("response_type") == "ephemeral"
    return json.dumps(posts[0].body)


@pytest.mark.parametrize(
    ("signature", "age_seconds"),
    [("v0=" + "0" * 64, 0), (None, 600), ("good", 600), ("good", -600)],
    ids=["forged", "missing-signature", "ten-minutes-old", "ten-minutes-ahead"],
)
async def test_unsigned_forged_and_stale_requests_are_refused(
    bot: Bot, signature: str | None, age_seconds: int
) -> None:
    fields = {
        "command": "/incident",
        "text": "create sev1 forged",
        "user_id": "U0AAA",
        "channel_id": "C0GENERAL",
        "response_url": bot.emulator.new_response_url(),
        "trigger_id": bot.emulator.new_trigger_id(),
    }
    body = urlencode(fields).encode()
    timestamp = str(int(time.time()) - age_seconds)
    if signature == "good":
        signature = bot.slack.sign(body, timestamp)
    answer = await bot.slack.send_raw(
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=timestamp,
        signature=signature,
    )
    assert answer.status == 401
    assert await _snapshot(bot) == ([], 0, 0)
    assert bot.emulator.calls_to("chat.postMessage") == []


async def test_a_tampered_body_is_refused(bot: Bot) -> None:
    body = urlencode(
        {"command": "/incident", "text": "create sev4 ok", "user_id": "U0AAA"}
    ).encode()
    timestamp = str(int(time.time()))
    signature = bot.slack.sign(body, timestamp)
    tampered = body.replace(b"sev4", b"sev1")
    answer = await bot.slack.send_raw(
        tampered,
        content_type="application/x-www-form-urlencoded",
        timestamp=timestamp,
        signature=signature,
    )
    assert answer.status == 401
    assert await _snapshot(bot) == ([], 0, 0)


async def test_the_url_verification_fixture_is_answered(bot: Bot, fixtures_dir: Path) -> None:
    fixture = json.loads(
        (
            fixtures_dir
            / "slack"
            / "slackapi__bolt-python__test_events_url_verification__event_body.json"
        ).read_text()
    )
    body = json.dumps(fixture["payload"]).encode()
    timestamp = str(int(time.time()))
    answer = await bot.slack.send_raw(
        body,
        content_type="application/json",
        timestamp=timestamp,
        signature=bot.slack.sign(body, timestamp),
    )
    assert answer.status == 200
    assert json.loads(answer.text) == {"challenge": fixture["payload"]["challenge"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate", "Unknown subcommand"),
        ("ack INC-12", "not an incident ID"),
        ("ack INC-20990101-000000", "No incident INC-20990101-000000"),
        ("create sev9 db down", "Unknown severity"),
        ("create sev2 " + "x" * 3001, "3,001 characters"),
        ("status {id} sleeping", "Unknown status"),
        ("close {id}", "Resolve it first"),
        ("resolve {id}", "Usage"),
        ("postmortem {id} ftp://nope", "not a link to a postmortem"),
        ("postmortem {id} https://wiki.example/pm", "resolve it before"),
        ("note {id} " + "n" * 3001, "the limit is 3,000"),
        ("sev {id} sev3", "already Sev3"),
    ],
)
async def test_bad_input_gets_a_clear_ephemeral_and_changes_nothing(
    bot: Bot, text: str, expected: str
) -> None:
    incident = await bot.container.incidents.create(
        title="existing", severity=Severity.SEV3, actor="U0AAA"
    )
    await bot.delivered()
    before = await _snapshot(bot)
    answer = await bot.slack.slash("/incident", text.format(id=incident.id), user="U0BBB")
    assert answer.status == 200
    reply = await _reply_to(bot, answer.response_url)
    assert expected in reply
    assert await _snapshot(bot) == before
    assert len(bot.emulator.messages(bot.incidents_channel)) == 1


async def test_help_lists_every_subcommand(bot: Bot) -> None:
    answer = await bot.slack.slash("/incident", "help", user="U0AAA")
    reply = await _reply_to(bot, answer.response_url)
    for word in (
        "create",
        "ack",
        "status",
        "sev",
        "note",
        "rootcause",
        "resolve",
        "close",
        "postmortem",
        "list",
        "show",
        "report",
    ):
        assert f"/incident {word}" in reply


async def test_an_unexpected_failure_shows_a_reference(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot.container.db.transaction() as session:
        await session.execute(text("ALTER TABLE timeline RENAME TO timeline_gone"))
    try:
        answer = await bot.slack.slash("/incident", "create sev3 storage broken", user="U0AAA")
        reply = await _reply_to(bot, answer.response_url)
    finally:
        async with bot.container.db.transaction() as session:
            await session.execute(text("ALTER TABLE timeline_gone RENAME TO timeline"))
    assert "reference `" in reply
    reference = reply.split("reference `")[1].split("`")[0]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)
