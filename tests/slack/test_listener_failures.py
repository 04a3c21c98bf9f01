"""Failures and refusals reach the person from every kind of listener, modals included.

The database fails for real: a table the change needs is renamed away for the length of
one request and put back afterwards.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text

from bot.incidents.model import IncidentStatus, Severity
from sandbox.slack import Message, SlackEmulator
from sandbox.slack.emulator import DEFAULT_CHANNELS
from tests.slack.conftest import Bot

REPORTER, RESPONDER = "U0AAA", "U0BBB"


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    # Slack delivers chat.postMessage to a user ID in the app's direct messages with that
    # person; the emulator knows conversations by ID only, so that DM is declared here.
    async with SlackEmulator(channels={**DEFAULT_CHANNELS, RESPONDER: "dm-bob"}) as running:
        yield running


@asynccontextmanager
async def table_gone(bot: Bot, table: str) -> AsyncIterator[None]:
    async with bot.container.db.transaction() as session:
        await session.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))
    try:
        yield
    finally:
        async with bot.container.db.transaction() as session:
            await session.execute(text(f"ALTER TABLE {table}_gone RENAME TO {table}"))


def reference_in(shown: str, caplog: pytest.LogCaptureFixture) -> str:
    """The reference the person was shown; it must lead to a logged traceback."""
    assert "reference `" in shown, shown
    reference = shown.split("reference `")[1].split("`")[0]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records), (
        f"reference {reference} is in no logged traceback"
    )
    assert "Nothing was lost" not in shown
    return reference


def _text(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def _choice(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


async def _declared(bot: Bot) -> tuple[str, Message]:
    incident = await bot.container.incidents.create(
        title="api latency", severity=Severity.SEV3, actor=REPORTER
    )
    await bot.delivered()
    return incident.id, bot.emulator.messages(bot.incidents_channel)[-1]


async def _open_form(bot: Bot, card: Message, action_id: str) -> str:
    before = len(bot.emulator.views)
    await bot.slack.click(channel=card.channel, ts=card.ts, action_id=action_id, user=RESPONDER)
    views = await bot.emulator.wait_for(lambda e: len(e.views) > before and e.views)
    return views[-1].id


async def test_a_declaration_failing_after_the_modal_closed_says_so_in_its_channel(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.slack.slash("/incident", "create", user=REPORTER, channel="C0GENERAL")
    view_id = (await bot.emulator.wait_for(lambda e: e.views))[0].id
    values = {"title": _text("checkout failing"), "severity": _choice("sev2")}
    async with table_gone(bot, "timeline"):
        answer = await bot.slack.submit_view(view_id=view_id, values=values, user=REPORTER)
        told = await bot.emulator.wait_for(
            lambda e: e.ephemerals(user=REPORTER, channel="C0GENERAL"), description="the failure"
        )
    assert answer.status == 200 and answer.json() is None  # the modal closed first
    assert bot.emulator.view(view_id).closed
    reference_in(told[0].text, caplog)
    assert "may not have been stored" in told[0].text and "/incident list" in told[0].text
    assert await bot.container.incidents.list_incidents() == []


async def test_a_status_change_failing_after_the_modal_closed_says_so_next_to_the_card(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    incident_id, card = await _declared(bot)
    view_id = await _open_form(bot, card, "incident_status")
    async with table_gone(bot, "audit"):
        await bot.slack.submit_view(
            view_id=view_id,
            values={"status": _choice("mitigated"), "note": _text("rolled back")},
            user=RESPONDER,
        )
        told = await bot.emulator.wait_for(
            lambda e: e.ephemerals(user=RESPONDER, channel=card.channel)
        )
    reference_in(told[0].text, caplog)
    assert "status may not have changed" in told[0].text
    stored = await bot.container.incidents.get(incident_id=incident_id)
    assert stored.status is IncidentStatus.OPEN


async def test_a_resolution_failing_without_a_database_reaches_the_person_directly(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    incident_id, card = await _declared(bot)
    view_id = await _open_form(bot, card, "incident_resolve")
    # Without the incidents table the card's channel cannot be looked up either: a DM.
    async with table_gone(bot, "incidents"):
        await bot.slack.submit_view(
            view_id=view_id, values={"resolution": _text("pinned the image")}, user=RESPONDER
        )
        told = await bot.emulator.wait_for(lambda e: e.messages(RESPONDER), description="a DM")
    reference_in(told[0].text, caplog)
    assert "may not have been resolved" in told[0].text
    assert bot.emulator.ephemerals(user=RESPONDER) == []
    stored = await bot.container.incidents.get(incident_id=incident_id)
    assert stored.status is IncidentStatus.OPEN and not stored.resolution


async def test_a_refused_resolution_reaches_the_person_next_to_the_card(bot: Bot) -> None:
    incident_id, card = await _declared(bot)
    view_id = await _open_form(bot, card, "incident_resolve")
    # Someone else resolves it while the form is open.
    await bot.container.incidents.resolve(
        incident_id=incident_id, resolution="restarted", actor=REPORTER
    )
    await bot.slack.submit_view(
        view_id=view_id, values={"resolution": _text("pinned the image")}, user=RESPONDER
    )
    told = await bot.emulator.wait_for(lambda e: e.ephemerals(user=RESPONDER, channel=card.channel))
    assert "cannot resolve it" in told[0].text and "reference" not in told[0].text
    stored = await bot.container.incidents.get(incident_id=incident_id)
    assert stored.resolution == "restarted"


async def test_a_form_that_cannot_be_read_keeps_its_input_under_a_notice(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    incident_id, card = await _declared(bot)
    view_id = await _open_form(bot, card, "incident_resolve")
    payload = bot.slack.payloads.view_submission(
        view_id=view_id, values={"resolution": _text("pinned the image")}, user=RESPONDER
    )
    del payload["user"]  # a payload our model does not understand
    body = f"payload={quote(json.dumps(payload))}".encode()
    timestamp = bot.slack.timestamp()
    answer = await bot.slack.send_raw(
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=timestamp,
        signature=bot.slack.sign(body, timestamp),
    )
    ack = answer.json()
    assert ack is not None and ack["response_action"] == "push"
    # Refused at the door: the reason shown and logged, no traceback.
    assert "could not be read" in json.dumps(ack["view"]) and "user" in json.dumps(ack["view"])
    assert "Nothing was changed" in json.dumps(ack["view"])
    assert not [r for r in caplog.records if r.exc_info]
    bot.emulator.apply_view_response(view_id, ack)
    assert not bot.emulator.view(view_id).closed  # closing the notice goes back to the form
    assert bot.emulator.violations == []
    stored = await bot.container.incidents.get(incident_id=incident_id)
    assert stored.status is IncidentStatus.OPEN


@pytest.mark.parametrize(
    ("command", "words", "table"),
    [
        ("/incident", "list", "incidents"),
        ("/runbook", "status RUN-20260101-000000", "runbook_runs"),
    ],
)
async def test_a_command_failing_unexpectedly_shows_a_reference(
    bot: Bot, caplog: pytest.LogCaptureFixture, command: str, words: str, table: str
) -> None:
    async with table_gone(bot, table):
        answer = await bot.slack.slash(command, words, user=REPORTER)
        posts = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert posts[0].body["response_type"] == "ephemeral"
    reference_in(json.dumps(posts[0].body), caplog)


@pytest.mark.engine
async def test_a_click_failing_unexpectedly_shows_a_reference(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    incident_id, card = await _declared(bot)
    async with table_gone(bot, "audit"):
        answer = await bot.slack.click(
            channel=card.channel, ts=card.ts, action_id="incident_ack", user=RESPONDER
        )
        posts = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert posts[0].body["response_type"] == "ephemeral"
    shown = json.dumps(posts[0].body)
    reference_in(shown, caplog)
    assert "may or may not have been acknowledged" in shown
    assert (await bot.container.incidents.get(incident_id=incident_id)).acknowledged_by is None
