"""The Alertmanager webhook with its real v4 payload: incidents once, runbooks in their thread."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.settings import SreConfig
from storage.tables import IncidentRow
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config
from tests.support.servers import serving


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config({"oncall": {"weekday": ["U0AAA"], "weekend": ["U0DDD"]}})


@pytest.fixture
def firing(fixtures_dir: Path) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(
        (fixtures_dir / "alertmanager" / "webhook_v4_firing.json").read_text()
    )
    return payload


async def _post(
    bot: Bot, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{bot.url}/alertmanager",
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        ) as answer,
    ):
        return answer.status, await answer.json()


async def _incidents(bot: Bot) -> list[IncidentRow]:
    async with bot.container.db.transaction() as session:
        return list((await session.execute(select(IncidentRow))).scalars())


async def test_a_firing_alert_opens_one_incident_and_starts_its_runbook_in_the_thread(
    bot: Bot, firing: dict[str, Any], serving_url: str
) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{serving_url}/_standin/faults", json={"model_down": "qwen"})
    status, result = await _post(bot, firing)
    assert status == 200
    assert len(result["created"]) == 1 and result["runbooks"] == ["qwen_failure_downshift"]
    incident_id = result["created"][0]
    stored = await bot.container.incidents.get(incident_id=incident_id)
    assert stored.title == "Qwen model failed health checks 3 times in a row"
    assert stored.severity.label == "Sev2" and stored.components == ["model-serving", "qwen"]
    await bot.container.alerts.drain()
    await bot.delivered()
    card = bot.emulator.messages(bot.incidents_channel)[0]
    run = [
        m for m in bot.emulator.replies(card.channel, card.ts) if "qwen_failure_downshift" in m.text
    ]
    assert run and run[-1].text.endswith("succeeded")
    # Alertmanager repeats the notification: nothing new.
    status, again = await _post(bot, firing)
    assert status == 200 and again["created"] == [] and again["existing"] == [incident_id]
    assert len(await _incidents(bot)) == 1
    assert bot.emulator.violations == []


async def test_a_resolved_alert_is_noted_on_its_incident(bot: Bot, firing: dict[str, Any]) -> None:
    only_firing = copy.deepcopy(firing)
    only_firing["alerts"] = [firing["alerts"][0]]
    only_firing["alerts"][0]["annotations"].pop("runbook")
    _, created = await _post(bot, only_firing)
    resolved = copy.deepcopy(only_firing)
    resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2026-08-20T09:30:00Z"
    status, result = await _post(bot, resolved)
    assert status == 200 and result["resolved"] == created["created"]
    incident = await bot.container.incidents.get(incident_id=created["created"][0])
    assert incident.status.value == "open"  # a person resolves it
    assert "Alert resolved in Alertmanager" in incident.timeline[-1].note


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not JSON"),
        (b'{"version": "4", "status": "firing"}', "alerts: Field required"),
        (
            b'{"version": "4", "status": "firing", "alerts": [{"status": "firing"}]}',
            "alerts.0.startsAt",
        ),
        (
            b'{"version": "3", "status": "firing", "alerts": [{"status": "firing", "startsAt": "2026-08-20T09:14:05Z", "fingerprint": "x"}]}',
            "version '3'",
        ),
    ],
)
async def test_malformed_payloads_are_refused_and_change_nothing(
    bot: Bot, body: bytes, expected: str
) -> None:
    status, answer = await _post(bot, body)
    assert status == 400 and expected in answer["error"]
    assert await _incidents(bot) == []


async def test_the_bearer_token_is_required_when_configured(
    bot: Bot, firing: dict[str, Any]
) -> None:
    bot.container.env.ALERTMANAGER_TOKEN = "s3cret"
    async with serving(bot.container.web_app(None)) as url:
        guarded = replace(bot, url=url)
        status, answer = await _post(guarded, firing)
        assert status == 401 and "bearer token" in answer["error"]
        status, _ = await _post(guarded, firing, {"Authorization": "Bearer wrong"})
        assert status == 401
        assert await _incidents(bot) == []
        status, _ = await _post(guarded, firing, {"Authorization": "Bearer s3cret"})
        assert status == 200 and len(await _incidents(bot)) == 1
