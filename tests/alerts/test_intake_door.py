"""The door: closed by default, bad input refused with its reason, nothing stored."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from bot.app import build_container
from storage.db import Database
from tests.alerts.conftest import TOKEN, incidents, notifications, post
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config
from tests.support.servers import serving

VALID_ALERT = (
    b'{"status": "firing", "startsAt": "2026-08-20T09:14:05Z", "fingerprint": "x", '
    b'"labels": {"alertname": "A"}}'
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe garbage", "not JSON"),
        (b"[1, 2]", "not an Alertmanager v4 notification"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b'{"version": "4", "status": "firing", "groupKey": "g"}', "alerts: Field required"),
        (b'{"version": "4", "status": "firing", "alerts": [' + VALID_ALERT + b"]}", "groupKey"),
        (
            b'{"version": "4", "status": "firing", "groupKey": "g", '
            b'"alerts": [{"status": "firing"}]}',
            "alerts.0.startsAt",
        ),
        (
            b'{"version": "3", "status": "firing", "groupKey": "g", "alerts": ['
            + VALID_ALERT
            + b"]}",
            "version '3'",
        ),
        (b'{"version": "4", "status": "firing", "groupKey": "g", "alerts": []}', "alerts"),
    ],
)
async def test_malformed_payloads_are_refused_with_the_reason_and_store_nothing(
    bot: Bot, body: bytes, expected: str
) -> None:
    status, answer = await post(bot.url, body)
    assert status == 400 and expected in answer["error"]
    assert await incidents(bot) == [] and await notifications(bot) == []


async def test_a_ten_megabyte_body_is_refused_unread(bot: Bot, firing: dict[str, Any]) -> None:
    status, answer = await post(bot.url, b'{"version": "4", "x": "' + b"a" * 10 * 1024**2 + b'"}')
    assert status == 413 and "payload over 5 MiB" in answer["error"]
    assert await notifications(bot) == []


async def test_a_wrong_or_missing_token_is_refused(bot: Bot, firing: dict[str, Any]) -> None:
    status, answer = await post(bot.url, firing, headers={})
    assert status == 401 and "bearer token" in answer["error"]
    status, _ = await post(bot.url, firing, headers={"Authorization": "Bearer wrong"})
    assert status == 401
    assert await incidents(bot) == [] and await notifications(bot) == []
    status, _ = await post(bot.url, firing, headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and len(await notifications(bot)) == 1


@pytest.mark.engine
async def test_without_a_token_the_intake_is_closed_unless_opened_on_purpose(
    bot: Bot, firing: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    env = bot.container.env.model_copy(update={"ALERTMANAGER_TOKEN": None})
    closed = build_container(
        env, bot.container.config, clock=bot.container.clock, db=Database(env.DATABASE_URL)
    )
    async with serving(closed.web_app(slack=False)) as url:
        status, answer = await post(url, firing, headers={})
        assert status == 403 and "open_without_token" in answer["error"]
    await closed.close()
    assert await notifications(bot) == []

    policy = sandbox_config({"alertmanager": {"open_without_token": True}})
    opened = build_container(env, policy, clock=bot.container.clock, db=Database(env.DATABASE_URL))
    with caplog.at_level(logging.WARNING):
        app = opened.web_app(slack=False)
    assert "open without a token" in caplog.text
    async with serving(app) as url:
        status, answer = await post(replace(bot, url=url).url, firing, headers={})
        assert status == 200 and answer["opens_incident"]
    await opened.close()


def test_the_intake_is_closed_when_sre_yaml_says_nothing() -> None:
    assert sandbox_config().alertmanager.open_without_token is False
