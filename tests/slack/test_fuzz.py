"""Fuzzing the Slack door: slash text, clicks and form submissions, signed as Slack
signs them, sent over HTTP to the real bot. Whatever arrives: no 5xx, no traceback or error
in the log, no "Something went wrong", and nothing stored when the answer is a refusal.

``FUZZ_EXAMPLES`` sets the examples per property (default 200, the CI run); the long run
is ``FUZZ_EXAMPLES=5000 .venv/bin/pytest -p no:cacheprovider tests/slack/test_fuzz.py``.
Hypothesis runs in a worker thread and hands each request to the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import SQLModel

from bot.incidents.model import Severity
from bot.settings import SreConfig
from sandbox.slack.driver import DriverResponse
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
FORM = "application/x-www-form-urlencoded"
FAILED = "Something went wrong"
USERS = ["U0AAA", "U0BBB", "U0CCC", "U0DDD"]
T = TypeVar("T")


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config(
        {
            "oncall": {"weekday": ["U0AAA", "U0BBB"], "weekend": ["U0DDD"]},
            "runbooks": {"approvers": ["U0AAA", "U0BBB", "U0DDD"]},
        }
    )


async def stored(bot: Bot) -> dict[str, int]:
    """Rows per table (the inbox aside: what was acknowledged is in it): what a refusal must
    leave as it was."""
    counts = {}
    async with bot.container.db.transaction() as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name != "slack_inbox":
                counts[table.name] = (
                    await session.execute(select(func.count()).select_from(table))
                ).scalar_one()
    return counts


async def fuzz(strategy: st.SearchStrategy[T], check: Callable[[T], Awaitable[None]]) -> None:
    """Run ``check`` for each example of ``strategy`` on this event loop."""
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def property_holds(example: T) -> None:
        asyncio.run_coroutine_threadsafe(check(example), loop).result(timeout=60)

    await asyncio.to_thread(property_holds)


def assert_quiet(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """No traceback or error logged, and nobody was told that something went wrong."""
    loud = [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR
    ]
    assert loud == []
    told = [str(r.body) for r in bot.emulator.responses()]
    told += [str(c.args) for c in bot.emulator.calls if c.method.startswith("chat.post")]
    assert [t for t in told if FAILED in t] == []


async def listeners_done(bot: Bot) -> None:
    """Wait for the inbox to run what was acknowledged, then for the outbox: the next
    snapshot then sees only what the next request does."""
    await bot.delivered()


async def settle(bot: Bot) -> None:
    """A fresh command answered and the outbox drained: earlier work has had its turn."""
    answer = await bot.slack.slash("/incident", "list", user="U0EEE")
    await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    await bot.delivered()


# ----- slash commands

VOCABULARY = {
    "/incident": [
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
        "help",
        "sev1",
        "sev4",
        "investigating",
        "resolved",
        "INC-20261201-000000",
        "https://wiki/pm",
    ],
    "/oncall": ["now", "schedule", "override", "report", "help", "<@U0BBB>", "+4h", "weekend"],
    "/runbook": ["list", "status", "cancel", "run", "help", "RUN-20261201-000000", "--dry-run"],
    "/slo": ["check", "report", "help", "api_availability"],
    "/health": ["qwen", "balanced", "all"],
}
WORDS = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["\x00", "<!channel>", "&amp;", "payload=", "%00", "\u202e", "*_~`"]),
    st.text(min_size=1000, max_size=3500).filter(lambda t: len(t) <= 3500),
)
SLASH = st.sampled_from(sorted(VOCABULARY)).flatmap(
    lambda command: st.tuples(
        st.just(command),
        st.lists(st.one_of(st.sampled_from(VOCABULARY[command]), WORDS), max_size=6).map(" ".join),
        st.sampled_from(USERS),
    )
)


async def test_fuzzed_slash_commands(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    await bot.container.incidents.create(title="seed", severity=Severity.SEV3, actor="U0AAA")
    await bot.delivered()

    async def check(example: tuple[str, str, str]) -> None:
        command, text, user = example
        await listeners_done(bot)
        before = await stored(bot)
        answer = await bot.slack.slash(command, text, user=user, channel="C0ONCALL")
        assert answer.status == 200, (answer.status, answer.text)
        opened = [  # `/incident create` alone answers with a form, not a reply
            c
            for c in bot.emulator.calls_to("views.open")
            if c.args.get("trigger_id") == answer.trigger_id
        ]
        replies = await bot.emulator.wait_for(
            lambda e: (
                e.responses(answer.response_url)
                or [
                    c
                    for c in e.calls_to("views.open")
                    if c.args.get("trigger_id") == answer.trigger_id
                ]
            ),
            description=f"an answer to {command} {text!r}",
            timeout=20,
        )
        if opened or not hasattr(replies[0], "body"):
            return
        reply = str(replies[0].body)
        assert FAILED not in reply
        if reply.startswith("{'text': '⚠️"):
            assert await stored(bot) == before, reply

    await fuzz(SLASH, check)
    await settle(bot)
    assert_quiet(bot, caplog)


# ----- clicks

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
ACTION_IDS = [
    "incident_ack",
    "incident_status",
    "incident_resolve",
    "runbook_approve",
    "runbook_deny",
    "runbook_cancel",
    "runbook_resume_applied",
    "runbook_resume_resend",
    "runbook_start",
    "runbook_restore",
    "handoff_confirm",
]


def _clicks(incident_id: str) -> st.SearchStrategy[dict[str, Any]]:
    action = st.fixed_dictionaries(
        {"action_id": st.one_of(st.sampled_from(ACTION_IDS), st.text(max_size=30))},
        optional={
            "value": st.one_of(
                st.sampled_from([incident_id, f"{incident_id}\x00", "RUN-20261201-000000|x"]),
                st.text(max_size=40),
                JSON_VALUES,
            ),
            "block_id": st.text(max_size=10),
            "type": st.just("button"),
        },
    )
    return st.fixed_dictionaries(
        {
            "user": st.one_of(
                st.fixed_dictionaries({"id": st.sampled_from(USERS)}),
                st.fixed_dictionaries({"id": st.text(max_size=12)}),
                JSON_VALUES,
            ),
            "actions": st.one_of(
                st.lists(action, min_size=1, max_size=2),
                st.lists(JSON_VALUES, max_size=2),
                JSON_VALUES,
            ),
        },
        optional={
            "channel": st.one_of(
                st.fixed_dictionaries({"id": st.just("C0INCIDENTS")}), JSON_VALUES
            ),
            "container": JSON_VALUES,
            "trigger_id": st.text(max_size=20),
            "team": JSON_VALUES,
            "enterprise": JSON_VALUES,
            "state": JSON_VALUES,
            "message": JSON_VALUES,
        },
    )


async def send_interaction(bot: Bot, payload: dict[str, Any]) -> DriverResponse:
    body = f"payload={quote(json.dumps(payload))}".encode()
    timestamp = bot.slack.timestamp()
    return await bot.slack.send_raw(
        body, content_type=FORM, timestamp=timestamp, signature=bot.slack.sign(body, timestamp)
    )


@pytest.mark.engine
async def test_fuzzed_clicks(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    incident = await bot.container.incidents.create(
        title="seed", severity=Severity.SEV3, actor="U0AAA"
    )
    await bot.delivered()

    async def check(changes: dict[str, Any]) -> None:
        payload = {
            "type": "block_actions",
            "api_app_id": "A0ARTISAN",
            "response_url": bot.emulator.new_response_url(channel="C0INCIDENTS"),
            **changes,
        }
        await listeners_done(bot)
        before = await stored(bot)
        answer = await send_interaction(bot, payload)
        assert answer.status < 500, (answer.status, answer.text)
        if answer.status != 200:
            assert json.loads(answer.text)["error"]  # a reason: 400 from the door, 404 Bolt's
            assert await stored(bot) == before

    await fuzz(_clicks(incident.id), check)
    await settle(bot)
    assert_quiet(bot, caplog)


# ----- form submissions


def _text(value: Any) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def _submissions() -> st.SearchStrategy[dict[str, Any]]:
    text = st.one_of(WORDS, JSON_VALUES)
    values = st.fixed_dictionaries(
        {
            "title": text.map(_text),
            "severity": st.one_of(
                st.sampled_from(["sev1", "sev2", "sev3", "sev4"]), st.text(max_size=8), JSON_VALUES
            ).map(lambda v: {"value": {"type": "static_select", "selected_option": {"value": v}}}),
            "components": text.map(_text),
            "description": text.map(_text),
        }
    )
    return st.fixed_dictionaries(
        {"values": st.one_of(values, values, JSON_VALUES)},
        optional={
            "callback_id": st.one_of(
                st.sampled_from(["incident_create", "incident_status"]), st.text(max_size=20)
            ),
            "user": JSON_VALUES,
            "private_metadata": st.one_of(st.text(max_size=40), JSON_VALUES),
            "view_id": st.one_of(st.text(max_size=12), JSON_VALUES),
            "team": JSON_VALUES,
            "enterprise": JSON_VALUES,
        },
    )


async def test_fuzzed_form_submissions(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    answer = await bot.slack.slash("/incident", "create", user="U0AAA", channel="C0INCIDENTS")
    (opened,) = await bot.emulator.wait_for(lambda e: e.views)
    base = bot.slack.payloads.view_submission(view_id=opened.id, values={}, user="U0AAA")
    assert answer.status == 200

    async def check(changes: dict[str, Any]) -> None:
        payload = json.loads(json.dumps(base))
        payload["view"]["state"] = {"values": changes["values"]}
        for key in ("callback_id", "private_metadata"):
            if key in changes:
                payload["view"][key] = changes[key]
        if "view_id" in changes:
            payload["view"]["id"] = changes["view_id"]
        for key in ("user", "team", "enterprise"):
            if key in changes:
                payload[key] = changes[key]
        await listeners_done(bot)
        before = await stored(bot)
        response = await send_interaction(bot, payload)
        assert response.status < 500, (response.status, response.text)
        ack = response.json() or {}
        if response.status != 200 or ack.get("response_action") in ("errors", "push"):
            assert await stored(bot) == before, ack

    await fuzz(_submissions(), check)
    await settle(bot)
    assert_quiet(bot, caplog)
