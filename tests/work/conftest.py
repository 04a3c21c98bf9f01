"""Bot processes on one database, each its own container, for tests that stop a worker and
let the next process take up what it left; the Slack emulator and the serving stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Container, build_container
from bot.clock import Clock
from bot.settings import Environment, SreConfig
from sandbox.slack import SlackEmulator
from storage.db import Database
from tests.alerts.conftest import TOKEN
from tests.slack.conftest import SIGNING_SECRET, emulator, serving_url
from tests.support.config import sandbox_config

__all__ = ["emulator", "serving_url"]  # the Slack tests' fixtures, shared


class Processes:
    """Builds one bot process's container after another over the same database; each is
    closed at the end of the test whatever it did."""

    def __init__(self, *, emulator: SlackEmulator, database_url: str, serving_url: str) -> None:
        self._env = Environment(
            SLACK_BOT_TOKEN=emulator.bot_token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=emulator.api_url,
            DATABASE_URL=database_url,
            SERVING_URL=serving_url,
            ALERTMANAGER_TOKEN=TOKEN,
        )
        self._started: list[Container] = []

    def start(self, *, clock: Clock, config: SreConfig | None = None) -> Container:
        """A process's objects, built as ``serve`` builds them; no worker started yet."""
        container = build_container(
            self._env, config or sandbox_config(), clock=clock, db=Database(self._env.DATABASE_URL)
        )
        self._started.append(container)
        return container

    async def close(self) -> None:
        for container in self._started:
            await container.close()


@pytest.fixture
async def processes(
    emulator: SlackEmulator, database_url: str, serving_url: str
) -> AsyncIterator[Processes]:
    made = Processes(emulator=emulator, database_url=database_url, serving_url=serving_url)
    try:
        yield made
    finally:
        await made.close()
