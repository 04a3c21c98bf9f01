"""The database stalls (connections accepted, nothing answered) under a running bot:
a TCP proxy between the bot and PostgreSQL holds every byte.

Always on PostgreSQL, whatever TEST_DATABASE says: the stall is a network fault, and SQLite
has no network. The bot must ack at once, answer within its 10 s bound saying that nothing
was stored (and store nothing), say "not ready" within a second, and serve /metrics.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import psycopg
import pytest

from sandbox.slack import SlackDriver, SlackEmulator
from storage import migrate
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.ports import free_port
from tests.support.progress import eventually
from tests.support.proxy import TcpProxy, proxy_to

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

SIGNING_SECRET = "process-secret"


@pytest.fixture
def postgres_name() -> Iterator[str]:
    """A fresh PostgreSQL database at head, reached directly by its name."""
    name = f"artisan_stall_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    migrate.upgrade(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    yield name
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    async with proxy_to("127.0.0.1", 5432) as running:
        yield running


def _titles(postgres_name: str) -> list[str]:
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + postgres_name
    with psycopg.connect(url) as connection:
        return [row[0] for row in connection.execute("SELECT title FROM incidents")]


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, float]:
    started = time.monotonic()
    async with http.get(url) as answer:
        return answer.status, await answer.text(), time.monotonic() - started


async def test_a_stalled_database_is_answered_in_bounded_time_and_stores_nothing(
    process_env: dict[str, str],
    emulator: SlackEmulator,
    start: Callable[..., Any],
    postgres_name: str,
    proxy: TcpProxy,
) -> None:
    port = free_port()
    env = {
        **process_env,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{proxy.port}/{postgres_name}",
        "PORT": str(port),
    }
    bot = await start("bot", "serve", env=env)
    url = f"http://127.0.0.1:{port}"
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
        SlackDriver(app_url=url, signing_secret=SIGNING_SECRET, emulator=emulator) as slack,
    ):

        async def ready() -> bool:
            try:
                return (await _get(http, f"{url}/health/ready"))[0] == 200
            except aiohttp.ClientError:
                return False  # not listening yet

        await eventually(ready, within=60, description=f"the bot ready (log: {bot.log_path})")
        before = await slack.slash("/incident", "create sev3 before the stall", user="U0AAA")
        await emulator.wait_for(lambda e: e.responses(before.response_url), timeout=10)

        proxy.stall()

        status, body, took = await _get(http, f"{url}/health/ready")
        assert status == 503 and "database unreachable: no answer within" in body
        assert took < 1.5  # promised: within a second; margin for a busy machine
        status, _, took = await _get(http, f"{url}/metrics")
        assert status == 200 and took < 3.0
        during = await slack.slash("/incident", "create sev2 during the stall", user="U0BBB")
        assert during.status == 200 and during.elapsed < 3.0  # Slack's ack window
        answers = await emulator.wait_for(
            lambda e: e.responses(during.response_url), timeout=20, description="an answer"
        )
        text = str(answers[0].body)
        assert re.search(r"database did not answer within (3|10)s, so nothing was stored", text)
        assert "reference" in text

        proxy.passing()
        await eventually(ready, within=60, description="the bot ready again after the stall")
    assert _titles(postgres_name) == ["before the stall"]  # as the answer said
