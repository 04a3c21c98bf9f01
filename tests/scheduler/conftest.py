"""The scheduler's duties against the real database and the Slack emulator, on a moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.app import Container, build_container
from bot.clock import FixedClock
from bot.settings import Environment, SreConfig
from sandbox.serving.standin import create_standin_app
from sandbox.slack import SlackDriver, SlackEmulator
from scheduler.duties import Duties
from storage.db import Database
from tests.support.config import sandbox_config
from tests.support.progress import runs_driven
from tests.support.servers import serving

ALERTMANAGER_TOKEN = "alertmanager-test-token"
# A Wednesday, 10:00 in Seoul: working hours, the weekday pool is paged.
START = datetime(2026, 10, 14, 1, 0, tzinfo=UTC)

ONCALL_CONFIG = {
    "oncall": {
        "weekday": ["U0AAA", "U0BBB", "U0CCC"],
        "weekend": ["U0DDD", "U0EEE"],
        "user_group": "S0ONCALL",
    },
    "runbooks": {"approvers": ["U0AAA", "U0BBB", "U0DDD"]},
    # Every duty on, at the product's times: the clock is fixed and only a test moves it, so
    # each fires exactly where a test puts it.
    "schedule": {
        "slo_digest": "0 10 * * mon",
        "runbook_drill": "0 10 1-7 * mon",
        "handoff_message": True,
        "health_probe_every": "30s",
        "slo_status_every": "5m",
    },
}


@dataclass
class World:
    clock: FixedClock
    emulator: SlackEmulator
    container: Container
    duties: Duties
    slack: SlackDriver
    url: str

    async def at(self, delta: timedelta) -> dict[str, object]:
        """Move the clock to START + delta and run one tick there."""
        self.clock.set(START + delta)
        outcome = await self.duties.tick(self.clock.now())
        await self.deliver()
        return outcome

    async def deliver(self) -> int:
        """Drive the runs the tick started and send what it owed (the outbox), as a running
        bot would right after it."""
        assert self.container.outbox is not None
        await runs_driven(self.container.db, within=60)
        return await self.container.outbox.drain(within=10)

    async def alert(self, notification: dict[str, object]) -> None:
        """Alertmanager posts ``notification``; the bot works it off and drives what it
        started, as a running bot soon does."""
        headers = {"Authorization": f"Bearer {ALERTMANAGER_TOKEN}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.url}/alertmanager", json=notification, headers=headers) as answer,
        ):
            assert answer.status == 200, await answer.text()
        await self.container.alert_work.drain(within=60)
        await self.deliver()

    def thread(self, incident_ts: str) -> list[str]:
        return [
            m.text
            for m in self.emulator.replies(self.container.config.channels.incidents, incident_ts)
        ]


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config(ONCALL_CONFIG)


@pytest.fixture
async def world(database_url: str, sre_config: SreConfig) -> AsyncIterator[World]:
    clock = FixedClock(START)
    # A healthy serving stand-in, so the health probe among the duties has someone to ask.
    async with serving(create_standin_app()) as serving_url, SlackEmulator() as emulator:
        emulator.allow_mentions({"<!subteam^S0ONCALL>", "<!channel>"})
        env = Environment(
            SLACK_BOT_TOKEN=emulator.bot_token,
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=emulator.api_url,
            DATABASE_URL=database_url,
            SERVING_URL=serving_url,
            ALERTMANAGER_TOKEN=ALERTMANAGER_TOKEN,
        )
        container = build_container(env, sre_config, clock=clock, db=Database(database_url))
        container.start_inbox()
        container.start_delivery()
        container.runs.start()
        async with (
            serving(container.web_app()) as url,
            SlackDriver(app_url=url, signing_secret="secret", emulator=emulator) as driver,
        ):
            yield World(
                clock=clock,
                emulator=emulator,
                container=container,
                duties=container.duties,
                slack=driver,
                url=url,
            )
        await container.close()
