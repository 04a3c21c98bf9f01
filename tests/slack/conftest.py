"""The bot served over real HTTP, talking to the Slack emulator; a signed driver plays Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from bot.app import Container, build_container
from bot.clock import Clock
from bot.settings import Environment, SreConfig
from sandbox.serving.standin import create_standin_app
from sandbox.slack import SlackDriver, SlackEmulator
from storage.db import Database
from tests.support.clock import quiet_clock
from tests.support.config import sandbox_config
from tests.support.progress import requests_run, runs_driven
from tests.support.servers import serving

SIGNING_SECRET = "artisan-test-signing-secret"


@dataclass
class Bot:
    url: str
    container: Container
    emulator: SlackEmulator
    slack: SlackDriver

    @property
    def incidents_channel(self) -> str:
        return self.container.config.channels.incidents

    async def delivered(self) -> None:
        """Wait until the inbox has run what Slack sent, the runs worker has driven what
        runs owe and the outbox has sent what the bot owes, as a running bot soon does."""
        assert self.container.outbox is not None
        await requests_run(self.container.db)
        await runs_driven(self.container.db, within=60)
        await self.container.outbox.drain(within=15)


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config()


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as running:
        yield running


@pytest.fixture
async def serving_url() -> AsyncIterator[str]:
    """A serving stand-in on a loopback port (its state is inspected over its own routes)."""
    async with serving(create_standin_app()) as url:
        yield url


@asynccontextmanager
async def running_bot(
    *,
    emulator: SlackEmulator,
    database_url: str,
    sre_config: SreConfig,
    serving_url: str,
    clock: Clock | None = None,
    delivering: bool = True,
) -> AsyncIterator[Bot]:
    """The bot served over HTTP with its outbox delivering and its runs driven; ``clock`` is a quiet weekday's at
    real speed unless a test brings one it moves itself. ``delivering=False``: the outbox
    makes only the passes the test asks for (``container.outbox.work_due()``)."""
    env = Environment(
        SLACK_BOT_TOKEN=emulator.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=emulator.api_url,
        DATABASE_URL=database_url,
        SERVING_URL=serving_url,
    )
    container = build_container(
        env, sre_config, clock=clock or quiet_clock(), db=Database(database_url)
    )
    container.start_inbox()
    if delivering:
        container.start_delivery()
    container.runs.start()
    try:
        async with (
            serving(container.web_app()) as url,
            SlackDriver(app_url=url, signing_secret=SIGNING_SECRET, emulator=emulator) as driver,
        ):
            yield Bot(url=url, container=container, emulator=emulator, slack=driver)
    finally:
        await container.close()


@pytest.fixture
async def bot(
    emulator: SlackEmulator, database_url: str, sre_config: SreConfig, serving_url: str
) -> AsyncIterator[Bot]:
    async with running_bot(
        emulator=emulator,
        database_url=database_url,
        sre_config=sre_config,
        serving_url=serving_url,
    ) as running:
        yield running
