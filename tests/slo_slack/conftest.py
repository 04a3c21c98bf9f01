"""The bot with ``/slo`` served over real HTTP, a real Prometheus over generated history
(``tests/slo/history.py``, the session's ``prometheus_url`` of ``tests/conftest.py``) and the Slack emulator.

At the history's end time (the bot's clock) the SLOs are: api_availability, llm_fast_latency
and rl_reward_stability healthy, llm_creative_latency warning (16% left) and
llm_balanced_latency exhausted (-30%), so the deploy verdict is "blocked".
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from bot.app import Container, build_container
from bot.clock import FixedClock
from bot.settings import Environment
from sandbox.slack import SlackDriver, SlackEmulator
from storage.db import Database
from tests.slo.history import END_AT
from tests.support.config import sandbox_config
from tests.support.ports import free_port
from tests.support.servers import serving

SIGNING_SECRET = "artisan-slo-test-secret"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header; fails on anything that is not a PNG."""
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@dataclass
class SloBot:
    url: str
    container: Container
    emulator: SlackEmulator
    slack: SlackDriver
    prometheus_url: str

    @property
    def digest_channel(self) -> str:
        return self.container.config.channels.slo_digest

    async def delivered(self) -> None:
        """Wait until the outbox has sent what the duties owed, as a running bot does."""
        assert self.container.outbox is not None
        await self.container.outbox.drain(within=15)


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as running:
        yield running


@asynccontextmanager
async def running_bot(
    emulator: SlackEmulator, database_url: str, prometheus_url: str
) -> AsyncIterator[SloBot]:
    env = Environment(
        SLACK_BOT_TOKEN=emulator.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=emulator.api_url,
        DATABASE_URL=database_url,
        PROMETHEUS_URL=prometheus_url,
    )
    container = build_container(
        env, sandbox_config(), clock=FixedClock(END_AT), db=Database(database_url)
    )
    container.start_inbox()
    container.start_delivery()
    try:
        async with (
            serving(container.web_app()) as url,
            SlackDriver(app_url=url, signing_secret=SIGNING_SECRET, emulator=emulator) as driver,
        ):
            yield SloBot(url, container, emulator, driver, prometheus_url)
    finally:
        await container.close()


@pytest.fixture
async def slo_bot(
    emulator: SlackEmulator, database_url: str, prometheus_url: str
) -> AsyncIterator[SloBot]:
    """Prometheus up, clock at the end of the generated history."""
    async with running_bot(emulator, database_url, prometheus_url) as bot:
        yield bot


@pytest.fixture
async def blind_bot(emulator: SlackEmulator, database_url: str) -> AsyncIterator[SloBot]:
    """PROMETHEUS_URL points at a closed port: every SLO is unknown."""
    async with running_bot(emulator, database_url, f"http://127.0.0.1:{free_port()}") as bot:
        yield bot
