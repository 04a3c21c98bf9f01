"""Modals and the card's other buttons, over HTTP through the emulator."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from bot.incidents.model import IncidentStatus, Severity
from sandbox.slack import Message
from tests.slack.conftest import Bot

FORM = "application/x-www-form-urlencoded"


def _text(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def _choice(value: str) -> dict[str, Any]:
    return {
        "value": {
            "type": "static_select",
            "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
        }
    }


async def _open_create_modal(bot: Bot) -> str:
    answer = await bot.slack.slash("/incident", "create", user="U0AAA", channel="C0GENERAL")
    assert answer.status == 200
    views = await bot.emulator.wait_for(lambda e: e.views, description="the modal")
    assert views[0].payload["callback_id"] == "incident_create_modal"
    return views[0].id


async def test_the_modal_declares_an_incident_once(bot: Bot) -> None:
    view_id = await _open_create_modal(bot)
    values = {
        "title": _text("Checkout <!here> failing"),
        "severity": _choice("sev1"),
        "components": _text("API, Payments"),
        "description": _text("5xx on /checkout since 10:02"),
    }
    # A double-click on Submit: Slack delivers the same submission twice.
    payload = bot.slack.payloads.view_submission(view_id=view_id, values=values, user="U0AAA")
    body = f"payload={quote(json.dumps(payload))}".encode()
    for _ in range(2):
        timestamp = bot.slack.timestamp()
        answer = await bot.slack.send_raw(
            body, content_type=FORM, timestamp=timestamp, signature=bot.slack.sign(body, timestamp)
        )
        assert answer.status == 200
    await bot.emulator.wait_for(
        lambda e: len(e.ephemerals(user="U0AAA")) >= 1, description="confirmation"
    )
    incidents = await bot.container.incidents.list_incidents()
    assert len(incidents) == 1
    assert incidents[0].severity is Severity.SEV1
    assert incidents[0].components == ["API", "Payments"]
    assert len(bot.emulator.messages(bot.incidents_channel)) == 1
    assert bot.emulator.violations == []


async def test_the_modal_shows_errors_inline_and_creates_nothing(bot: Bot) -> None:
    view_id = await _open_create_modal(bot)
    answer = await bot.slack.submit_view(
        view_id=view_id,
        values={"title": _text("x" * 3001), "severity": _choice("sev2")},
        user="U0AAA",
    )
    body = answer.json()
    assert body is not None and body["response_action"] == "errors"
    assert "3,001 characters" in body["errors"]["title"]
    assert await bot.container.incidents.list_incidents() == []


async def _declared(
    bot: Bot, title: str = "api latency", severity: Severity = Severity.SEV3
) -> tuple[str, Message]:
    incident = await bot.container.incidents.create(title=title, severity=severity, actor="U0AAA")
    await bot.delivered()
    card = bot.emulator.messages(bot.incidents_channel)[-1]
    return incident.id, card


async def test_update_status_and_resolve_through_modals(bot: Bot) -> None:
    incident_id, card = await _declared(bot)
    await bot.slack.click(
        channel=card.channel, ts=card.ts, action_id="incident_status", user="U0BBB"
    )
    view = (await bot.emulator.wait_for(lambda e: e.views))[-1]
    await bot.slack.submit_view(
        view_id=view.id,
        values={"status": _choice("mitigated"), "note": _text("rolled back deploy")},
        user="U0BBB",
    )
    await bot.emulator.wait_for(
        lambda e: "Mitigated" in str(e.message(card.channel, card.ts).blocks)
    )

    await bot.slack.click(
        channel=card.channel, ts=card.ts, action_id="incident_resolve", user="U0BBB"
    )
    view = (await bot.emulator.wait_for(lambda e: len(e.views) == 2 and e.views))[-1]
    await bot.slack.submit_view(
        view_id=view.id, values={"resolution": _text("pinned the old image")}, user="U0BBB"
    )
    await bot.emulator.wait_for(
        lambda e: "Resolved" in str(e.message(card.channel, card.ts).blocks)
    )

    stored = await bot.container.incidents.get(incident_id=incident_id)
    assert stored.status is IncidentStatus.RESOLVED
    assert stored.resolution == "pinned the old image"
    assert stored.acknowledged_by == "U0BBB"


async def test_resolve_modal_requires_text(bot: Bot) -> None:
    _, card = await _declared(bot)
    await bot.slack.click(
        channel=card.channel, ts=card.ts, action_id="incident_resolve", user="U0BBB"
    )
    view = (await bot.emulator.wait_for(lambda e: e.views))[-1]
    answer = await bot.slack.submit_view(
        view_id=view.id, values={"resolution": _text("  ")}, user="U0BBB"
    )
    body = answer.json()
    assert body is not None and "resolution" in body["errors"]


@pytest.mark.engine
async def test_ack_without_id_in_the_incidents_channel(bot: Bot) -> None:
    incident_id, _ = await _declared(bot)
    answer = await bot.slack.slash("/incident", "ack", user="U0CCC", channel=bot.incidents_channel)
    posts = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert incident_id in str(posts[0].body)
    assert (await bot.container.incidents.get(incident_id=incident_id)).acknowledged_by == "U0CCC"


async def test_ack_without_id_when_two_wait_asks_which(bot: Bot) -> None:
    first, _ = await _declared(bot, "one")
    second, _ = await _declared(bot, "two")
    answer = await bot.slack.slash("/incident", "ack", user="U0CCC", channel=bot.incidents_channel)
    posts = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert (
        "Several incidents" in str(posts[0].body)
        and first in str(posts[0].body)
        and second in str(posts[0].body)
    )
    assert all(i.acknowledged_by is None for i in await bot.container.incidents.list_incidents())


@pytest.mark.engine
async def test_postmortem_draft_goes_to_the_thread_and_close_needs_the_url(bot: Bot) -> None:
    incident_id, card = await _declared(bot, "Qwen down", Severity.SEV2)
    for text in (
        f"ack {incident_id}",
        f"rootcause {incident_id} OOM in the inference pipeline",
        f"resolve {incident_id} restarted with more memory",
    ):
        answer = await bot.slack.slash("/incident", text, user="U0BBB")
        await bot.emulator.wait_for(lambda e, url=answer.response_url: e.responses(url))
    answer = await bot.slack.slash("/incident", f"close {incident_id}", user="U0BBB")
    refusal = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert "postmortem" in str(refusal[0].body)

    answer = await bot.slack.slash("/incident", f"postmortem {incident_id}", user="U0BBB")
    draft = await bot.emulator.wait_for(lambda e: e.replies(card.channel, card.ts))
    text = str(draft[0].blocks)
    for section in ("Summary", "Impact", "Timeline", "Root cause", "Resolution", "Action items"):
        assert section in text
    assert "OOM in the inference pipeline" in text

    answer = await bot.slack.slash(
        "/incident", f"postmortem {incident_id} https://wiki.example/pm/qwen", user="U0BBB"
    )
    await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    answer = await bot.slack.slash("/incident", f"close {incident_id}", user="U0BBB")
    await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    closed = await bot.container.incidents.get(incident_id=incident_id)
    assert closed.status is IncidentStatus.CLOSED
    await bot.emulator.wait_for(
        lambda e: not e.buttons(card.channel, card.ts), description="a card without buttons"
    )


async def test_a_rate_limited_post_is_retried(bot: Bot) -> None:
    bot.emulator.rate_limit("chat.postMessage", retry_after=1, times=1)
    answer = await bot.slack.slash("/incident", "create sev4 slow dashboards", user="U0AAA")
    assert answer.status == 200 and answer.elapsed < 3.0
    await bot.emulator.wait_for(lambda e: e.messages(bot.incidents_channel), timeout=10)
    statuses = [c.status for c in bot.emulator.calls_to("chat.postMessage")]
    assert statuses == [429, 200]


async def test_list_show_and_report(bot: Bot) -> None:
    incident_id, _ = await _declared(bot, "search slow")
    replies = {}
    for text in ("list", f"show {incident_id}", "report"):
        answer = await bot.slack.slash("/incident", text, user="U0AAA")
        replies[text] = str(
            (await bot.emulator.wait_for(lambda e, url=answer.response_url: e.responses(url)))[
                0
            ].body
        )
    assert incident_id in replies["list"] and "unacknowledged" in replies["list"]
    assert (
        "Timeline" in replies[f"show {incident_id}"] and "created" in replies[f"show {incident_id}"]
    )
    assert "MTTA" in replies["report"] and "Sev3: 1" in replies["report"]


@pytest.mark.engine
async def test_a_submission_whose_metadata_is_no_channel_is_answered_directly(
    bot: Bot, caplog: Any
) -> None:
    """What the fuzz suite found: metadata that is not a channel ID (a modal opened by an
    older version, a hand-made payload) once sent the answer to a channel Slack refused."""
    view_id = await _open_create_modal(bot)
    values = {"title": _text("Queue backed up"), "severity": _choice("sev3")}
    payload = bot.slack.payloads.view_submission(view_id=view_id, values=values, user="U0AAA")
    payload["view"]["private_metadata"] = "ãt"
    body = f"payload={quote(json.dumps(payload))}".encode()
    timestamp = bot.slack.timestamp()
    answer = await bot.slack.send_raw(
        body, content_type=FORM, timestamp=timestamp, signature=bot.slack.sign(body, timestamp)
    )
    assert answer.status == 200
    # The modal closed with the ack; the incident is stored after it.
    await bot.emulator.wait_for(
        lambda e: e.messages(bot.incidents_channel), description="the incident's card"
    )
    (incident,) = await bot.container.incidents.list_incidents()
    await bot.container.outbox.drain(within=10)
    told = [
        call
        for call in bot.emulator.calls
        if call.method in ("chat.postMessage", "chat.postEphemeral")
        and incident.id in str(call.args)
        and call.args.get("channel") != bot.incidents_channel
    ]
    assert told and all(call.ok for call in told), told
    assert not [c for c in bot.emulator.calls if not c.ok]  # no channel Slack had to refuse
    # No warning, no error. The door's replay check may overrun its 1 s on a loaded machine
    # (a PostgreSQL CI run did); it then serves the request unchecked and says so, which is
    # the door's business, not this answer's.
    problems = [
        r
        for r in caplog.records
        if r.levelno >= 30 and not r.getMessage().startswith("replays cannot be checked")
    ]
    assert not problems
