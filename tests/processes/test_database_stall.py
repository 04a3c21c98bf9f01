"""The database stalls (connections accepted, nothing answered) under a running bot:
a TCP proxy between the bot and PostgreSQL holds every byte.

Always on PostgreSQL, whatever TEST_DATABASE says: the stall is a network fault, and SQLite
has no network. The door stores each request before its ack: a store the database does not
take within its bound is answered in the ack, "nothing was recorded and nothing was done",
and never acted on, even once the database answers again. The bot says "not ready" within a
second and serves /metrics. A stall shorter than the bound costs nothing: the request is
stored when the database answers, and a replay of it sent meanwhile is a replay still.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import psycopg
import pytest

from sandbox.slack import DriverResponse, SlackDriver, SlackEmulator
from sandbox.slack.driver import FORM
from storage import migrate
from storage.db import Database
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.ports import free_port
from tests.support.progress import eventually, requests_run, wait_ready
from tests.support.proxy import TcpProxy, proxy_to

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

SIGNING_SECRET = "process-secret"
STALL = 2.5


def _ids(postgres_name: str) -> list[str]:
    with psycopg.connect(_url(postgres_name)) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM incidents")]


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


def _url(postgres_name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + postgres_name


def _titles(postgres_name: str) -> list[str]:
    with psycopg.connect(_url(postgres_name)) as connection:
        return [row[0] for row in connection.execute("SELECT title FROM incidents")]


async def _all_run(postgres_name: str) -> None:
    db = Database(_url(postgres_name))
    try:
        await requests_run(db)
    finally:
        await db.dispose()


def _notes(postgres_name: str) -> list[str]:
    with psycopg.connect(_url(postgres_name)) as connection:
        rows = connection.execute("SELECT note FROM timeline WHERE action = 'note'")
        return [row[0] for row in rows]


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
        # Slack's ack window is 3 s; the door's bound is 2.75 s (margin for a busy machine).
        assert during.status == 200 and during.elapsed < 3.5
        assert "nothing was recorded and nothing was done" in during.text

        proxy.passing()
        await eventually(ready, within=60, description="the bot ready again after the stall")
        # The store the door gave up on lands now; it is abandoned, never run.
        await _all_run(postgres_name)
        after = await slack.slash("/incident", "list", user="U0AAA")
        await emulator.wait_for(lambda e: e.responses(after.response_url), timeout=20)
    assert _titles(postgres_name) == ["before the stall"]  # as the answer said
    assert not emulator.responses(during.response_url)


async def test_a_replay_sent_while_the_database_stalls_is_still_a_replay(
    process_env: dict[str, str],
    emulator: SlackEmulator,
    start: Callable[..., Any],
    postgres_name: str,
    proxy: TcpProxy,
) -> None:
    """The same signed ``/incident note`` twice during a 2.5 s stall: one note. Each store
    waits for the database; the second is the key's conflict (a replay), or, had the stall
    outlasted the door's bound, told that nothing was done."""
    port = free_port()
    env = {
        **process_env,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{proxy.port}/{postgres_name}",
        "PORT": str(port),
    }
    await start("bot", "serve", env=env)
    url = f"http://127.0.0.1:{port}"
    async with SlackDriver(app_url=url, signing_secret=SIGNING_SECRET, emulator=emulator) as slack:
        await wait_ready(url)
        created = await slack.slash("/incident", "create sev3 replayed note", user="U0AAA")
        await emulator.wait_for(lambda e: e.responses(created.response_url), timeout=20)
        (incident_id,) = _ids(postgres_name)
        fields = slack.payloads.slash_command(
            "/incident", f"note {incident_id} the cache is cold", user="U0AAA", channel="C0GENERAL"
        )
        body = urlencode(fields).encode()
        timestamp = slack.timestamp()
        signature = slack.sign(body, timestamp)

        async def send() -> DriverResponse:
            return await slack.send_raw(
                body, content_type=FORM, timestamp=timestamp, signature=signature
            )

        proxy.stall()
        sent = [asyncio.ensure_future(send()), asyncio.ensure_future(send())]
        await asyncio.sleep(STALL)  # how long the database stalls is the scenario's input
        proxy.passing()
        answers = await asyncio.gather(*sent)
        await _all_run(postgres_name)
        listed = await slack.slash("/incident", f"show {incident_id}", user="U0AAA")
        await emulator.wait_for(lambda e: e.responses(listed.response_url), timeout=20)
    assert _notes(postgres_name) == ["the cache is cold"]
    assert all(a.status == 200 and a.elapsed < 3.5 for a in answers), answers
    told = ["nothing was recorded" in a.text for a in answers]
    assert told.count(True) <= 1, answers  # the one stored was acknowledged plainly
    # The note's answer reached its sender once (the replay was never run).
    assert emulator.answers_shown(fields["response_url"]) == 1
