"""The bot over real HTTP with an Alertmanager token, the Slack emulator and the stand-in."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import build_container
from bot.settings import Environment, SreConfig
from sandbox.slack import SlackDriver, SlackEmulator
from storage.alerts import AlertNotificationRow
from storage.db import Database
from storage.tables import IncidentRow
from tests.slack.conftest import SIGNING_SECRET, Bot, emulator, serving_url
from tests.support.clock import quiet_clock
from tests.support.config import sandbox_config
from tests.support.servers import serving

TOKEN = "alertmanager-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
__all__ = ["emulator", "serving_url"]  # the Slack tests' fixtures, shared


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config(
        {
            "oncall": {"weekday": ["U0AAA"], "weekend": ["U0DDD"]},
            "runbooks": {"approvers": ["U0AAA", "U0BBB"]},
        }
    )


@pytest.fixture
def firing(fixtures_dir: Path) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(
        (fixtures_dir / "alertmanager" / "webhook_v4_firing.json").read_text()
    )
    return payload


@pytest.fixture
async def bot(
    emulator: SlackEmulator, database_url: str, sre_config: SreConfig, serving_url: str
) -> AsyncIterator[Bot]:
    env = Environment(
        SLACK_BOT_TOKEN=emulator.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=emulator.api_url,
        DATABASE_URL=database_url,
        SERVING_URL=serving_url,
        ALERTMANAGER_TOKEN=TOKEN,
    )
    container = build_container(env, sre_config, clock=quiet_clock(), db=Database(database_url))
    container.start_workers()
    async with (
        serving(container.web_app()) as url,
        SlackDriver(app_url=url, signing_secret=SIGNING_SECRET, emulator=emulator) as driver,
    ):
        yield Bot(url=url, container=container, emulator=emulator, slack=driver)
    await container.close()


async def post(
    url: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST a notification as Alertmanager does (with the token unless ``headers`` say)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/alertmanager",
            data=data,
            headers={"Content-Type": "application/json", **(AUTH if headers is None else headers)},
        ) as answer,
    ):
        return answer.status, await answer.json()


async def settled(bot: Bot) -> None:
    """Wait until stored notifications are worked and the outbox has sent what is owed."""
    await bot.container.alert_work.drain(within=60)
    await bot.delivered()


async def incidents(bot: Bot) -> list[IncidentRow]:
    async with bot.container.db.transaction() as session:
        return list((await session.execute(select(IncidentRow))).scalars())


async def notifications(bot: Bot) -> list[AlertNotificationRow]:
    async with bot.container.db.transaction() as session:
        return list((await session.execute(select(AlertNotificationRow))).scalars())


def alert(
    fingerprint: str,
    *,
    status: str = "firing",
    name: str = "QwenHealthCheckFailing",
    severity: str = "warning",
    summary: str = "something is wrong",
    runbook: str | None = None,
    starts_at: str = "2026-08-20T09:14:05.123Z",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One alert as Alertmanager writes it."""
    annotations = {"summary": summary}
    if runbook:
        annotations["runbook"] = runbook
    return {
        "status": status,
        "labels": {"alertname": name, "severity": severity, "instance": fingerprint}
        | (labels or {}),
        "annotations": annotations,
        "startsAt": starts_at,
        "endsAt": "2026-08-20T09:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.internal:9090/graph",
        "fingerprint": fingerprint,
    }


def notification(group: str, alerts: list[dict[str, Any]], *, truncated: int = 0) -> dict[str, Any]:
    """A version 4 notification for the group ``group``."""
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{group}"}}',
        "truncatedAlerts": truncated,
        "status": "firing" if firing else "resolved",
        "receiver": "sre-chatops-bot",
        "groupLabels": {"alertname": group},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.internal:9093",
        "alerts": copy.deepcopy(alerts),
    }
