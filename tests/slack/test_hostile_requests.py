"""Requests no Slack would send, and Slack's own requests sent twice:
a 4xx with a reason and nothing stored, or a replay acknowledged and ignored."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import quote, urlencode

import pytest
from sqlmodel import select

from bot.incidents.model import Severity
from bot.settings import SreConfig
from storage.tables import AuditRow, IncidentRow, PostRow, TimelineRow
from tests.slack.conftest import SIGNING_SECRET, Bot
from tests.support.config import sandbox_config


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config({"oncall": {"weekday": ["U0AAA", "U0BBB"], "weekend": ["U0DDD"]}})


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


async def stored(bot: Bot) -> tuple[int, int, int, int]:
    """Incidents, timeline entries, audit entries and outbox posts."""
    async with bot.container.db.transaction() as session:
        return (
            len((await session.execute(select(IncidentRow))).all()),
            len((await session.execute(select(TimelineRow))).all()),
            len((await session.execute(select(AuditRow))).all()),
            len((await session.execute(select(PostRow))).all()),
        )


def sign(body: bytes, timestamp: str) -> str:
    """Slack's signature over any bytes (the driver's signer wants UTF-8)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR
    ]


def _interaction(payload: object) -> bytes:
    return f"payload={quote(json.dumps(payload))}".encode()


def _click(bot: Bot, **changes: object) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0AAA"},
        "channel": {"id": "C0GENERAL"},
        "response_url": bot.emulator.new_response_url(),
        "actions": [{"action_id": "incident_ack", "value": "INC-20261014-103000"}],
    }
    payload.update(changes)
    return _interaction(payload)


SIGNED_GARBAGE = {
    "binary": (b"\xff\xfe\x00garbage\x80", FORM),
    "json-array": (b'[{"command": "/incident"}]', JSON),
    "json-string": (b'"create sev1 x"', JSON),
    "truncated-json": (b'{"type": "event_callback", "event": {', JSON),
    "payload-not-json": (b"payload=%7Bnot%20json", FORM),
    "payload-a-list": (_interaction([{"type": "block_actions"}]), FORM),
    "deeply-nested": (
        b"payload="
        + quote('{"type": "block_actions", "x": ' + "[" * 5000 + "]" * 5000 + "}").encode(),
        FORM,
    ),
    "deeply-nested-json": (("[" * 100_000 + "]" * 100_000).encode(), JSON),
    "empty": (b"", FORM),
}


@pytest.mark.parametrize("case", list(SIGNED_GARBAGE))
async def test_a_signed_body_that_cannot_be_read_is_refused_with_a_reason(
    bot: Bot, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = SIGNED_GARBAGE[case]
    timestamp = bot.slack.timestamp()
    answer = await bot.slack.send_raw(
        body,
        content_type=content_type,
        timestamp=timestamp,
        signature=sign(body, timestamp),
    )
    assert answer.status == 400, answer.text
    assert json.loads(answer.text)["error"]
    assert await stored(bot) == (0, 0, 0, 0)
    assert no_tracebacks(caplog) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"actions": []},
        {"actions": [{"value": "INC-20261014-103000"}]},
        {"actions": [{"action_id": 7}]},
        {"actions": "incident_ack"},
        {"user": "U0AAA"},
        {"user": None},
        {"enterprise": False},
        {"team": 7, "enterprise": [1]},
    ],
    ids=[
        "no-actions",
        "no-action-id",
        "numeric-action-id",
        "actions-a-string",
        "user-a-string",
        "no-user",
        "enterprise-false",
        "team-a-number",
    ],
)
@pytest.mark.engine
async def test_a_click_payload_of_the_wrong_shape_is_refused(
    bot: Bot, changes: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    incident = await bot.container.incidents.create(
        title="x", severity=Severity.SEV3, actor="U0BBB"
    )
    await bot.delivered()
    before = await stored(bot)
    body = _click(bot, **changes)
    timestamp = bot.slack.timestamp()
    answer = await bot.slack.send_raw(
        body, content_type=FORM, timestamp=timestamp, signature=bot.slack.sign(body, timestamp)
    )
    assert answer.status == 400, answer.text
    assert "block_actions" in json.loads(answer.text)["error"]
    assert await stored(bot) == before
    assert (await bot.container.incidents.get(incident_id=incident.id)).acknowledged_by is None
    assert no_tracebacks(caplog) == []


@pytest.mark.parametrize(
    ("timestamp", "body"),
    [
        ("soon", b"command=%2Fincident&text=list"),
        ("1.5e9", b"command=%2Fincident&text=list"),
        ("\u0661\u0662", b"command=%2Fincident&text=list"),
        (None, b"\xff\xfe\x00"),
        ("0", b"payload=[1,2"),
        ("", b"[" * 50_000),
    ],
    ids=[
        "words",
        "float",
        "arabic-digits",
        "binary-unsigned",
        "payload-list-unsigned",
        "nested-unsigned",
    ],
)
async def test_an_unsigned_request_is_refused_before_its_body_is_read(
    bot: Bot, timestamp: str | None, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    answer = await bot.slack.send_raw(
        body, content_type=FORM, timestamp=timestamp, signature="v0=" + "0" * 64
    )
    assert answer.status in (400, 401), answer.text
    assert json.loads(answer.text)["error"]
    assert await stored(bot) == (0, 0, 0, 0)
    assert no_tracebacks(caplog) == []


async def test_a_slash_command_whose_text_says_payload_is_served(bot: Bot) -> None:
    answer = await bot.slack.slash("/incident", "create sev4 payload=broken uploads", user="U0AAA")
    assert answer.status == 200
    reply = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert "payload=broken uploads" in str(reply[0].body)


# ----- replays (item 2)


async def _send_twice(bot: Bot, fields: dict[str, str]) -> None:
    body = urlencode(fields).encode()
    timestamp = str(int(time.time()))
    signature = bot.slack.sign(body, timestamp)
    for _ in range(2):
        answer = await bot.slack.send_raw(
            body, content_type=FORM, timestamp=timestamp, signature=signature
        )
        assert answer.status == 200 and answer.text == ""


async def _after_a_fresh_request(bot: Bot) -> None:
    """A distinct request answered: anything a replay would have done has had its turn."""
    answer = await bot.slack.slash("/incident", "list", user="U0EEE")
    await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    await bot.delivered()


@pytest.mark.engine
async def test_a_replayed_incident_note_adds_one_timeline_entry(bot: Bot) -> None:
    incident = await bot.container.incidents.create(
        title="x", severity=Severity.SEV3, actor="U0AAA"
    )
    fields = bot.slack.payloads.slash_command(
        "/incident", f"note {incident.id} restarted the pods", user="U0AAA", channel="C0GENERAL"
    )
    await _send_twice(bot, fields)
    await bot.emulator.wait_for(lambda e: e.responses(fields["response_url"]))
    await _after_a_fresh_request(bot)
    timeline = (await bot.container.incidents.get(incident_id=incident.id)).timeline
    assert [e.note for e in timeline if e.action == "note"] == ["restarted the pods"]
    assert len(bot.emulator.responses(fields["response_url"])) == 1


@pytest.mark.engine
async def test_a_replayed_handoff_posts_once(bot: Bot) -> None:
    fields = bot.slack.payloads.slash_command(
        "/oncall", "handoff", user="U0AAA", channel="C0ONCALL"
    )
    await _send_twice(bot, fields)
    await bot.emulator.wait_for(lambda e: e.responses(fields["response_url"]))
    await _after_a_fresh_request(bot)
    handoffs = bot.emulator.messages(bot.container.config.channels.oncall)
    assert len(handoffs) == 1


@pytest.mark.engine
async def test_a_replayed_click_acts_once(bot: Bot) -> None:
    incident = await bot.container.incidents.create(
        title="x", severity=Severity.SEV3, actor="U0AAA"
    )
    await bot.delivered()
    (card,) = bot.emulator.messages(bot.incidents_channel)
    payload = bot.slack.payloads.block_actions(
        channel=card.channel, ts=card.ts, action_id="incident_ack", user="U0BBB"
    )
    body = _interaction(payload)
    timestamp = str(int(time.time()))
    signature = bot.slack.sign(body, timestamp)
    for _ in range(2):
        answer = await bot.slack.send_raw(
            body, content_type=FORM, timestamp=timestamp, signature=signature
        )
        assert answer.status == 200
    await _after_a_fresh_request(bot)
    stored_incident = await bot.container.incidents.get(incident_id=incident.id)
    assert [e.action for e in stored_incident.timeline] == ["created", "acknowledged"]
    # The replay would have been told "already acknowledged", privately.
    assert bot.emulator.responses(payload["response_url"]) == []


@pytest.mark.parametrize("trigger_id", ["", "12345.98765.0123456789abcdef0123456789abcdef"])
async def test_a_form_whose_trigger_slack_refuses_is_a_retry_not_a_failure(
    bot: Bot, trigger_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzz suite: a click whose trigger_id Slack no longer takes (it lasts 3 s)."""
    incident = await bot.container.incidents.create(
        title="x", severity=Severity.SEV3, actor="U0AAA"
    )
    await bot.delivered()
    (card,) = bot.emulator.messages(bot.incidents_channel)
    payload = bot.slack.payloads.block_actions(
        channel=card.channel, ts=card.ts, action_id="incident_resolve", user="U0BBB"
    )
    payload["trigger_id"] = trigger_id
    body = _interaction(payload)
    timestamp = bot.slack.timestamp()
    answer = await bot.slack.send_raw(
        body, content_type=FORM, timestamp=timestamp, signature=sign(body, timestamp)
    )
    assert answer.status == 200
    reply = await bot.emulator.wait_for(lambda e: e.responses(payload["response_url"]))
    assert "did not open in time" in str(reply[0].body)
    assert no_tracebacks(caplog) == []
    assert (await bot.container.incidents.get(incident_id=incident.id)).version == incident.version
