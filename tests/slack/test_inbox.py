"""The inbox: what the door acknowledged is stored, and run once, whoever runs it.

Each test plays a process that dies (its container closed without its inbox worker ever
running) and the next one on the same database, on a clock the test moves past the dead
one's hold. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import select

from bot.app import Container, build_container
from bot.clock import FixedClock
from bot.inbox.job import KEEP, LEASE, MAX_STARTS
from bot.inbox.model import RequestKind, SlackRequest, Stored
from bot.inbox.service import Inbox
from bot.settings import Environment, SreConfig
from sandbox.slack import SlackDriver, SlackEmulator
from sandbox.slack.payloads import Payloads
from storage import inbox
from storage.db import Database
from storage.inbox import InboxRow
from storage.tables import IncidentRow
from tests.conftest import fresh_postgres_database
from tests.slack.conftest import SIGNING_SECRET
from tests.support.progress import eventually, requests_run
from tests.support.servers import serving

pytestmark = pytest.mark.engine


@asynccontextmanager
async def bot_on(
    emulator: SlackEmulator,
    database_url: str,
    config: SreConfig,
    clock: FixedClock,
    *,
    working: bool,
) -> AsyncIterator[tuple[Container, SlackDriver]]:
    """A bot on ``database_url``: its door served; its inbox and outbox running only when
    ``working`` (else it stores and acks, and dies before it runs anything)."""
    env = Environment(
        SLACK_BOT_TOKEN=emulator.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=emulator.api_url,
        DATABASE_URL=database_url,
    )
    container = build_container(env, config, clock=clock, db=Database(database_url))
    if working:
        container.start_inbox()
        container.start_delivery()
    try:
        async with (
            serving(container.web_app()) as url,
            SlackDriver(app_url=url, signing_secret=SIGNING_SECRET, emulator=emulator) as driver,
        ):
            yield container, driver
    finally:
        await container.close()


async def _rows(db: Database) -> list[InboxRow]:
    async with db.transaction() as session:
        return list((await session.execute(select(InboxRow))).scalars())


async def _titles(db: Database) -> list[str]:
    async with db.transaction() as session:
        return [str(t) for t in (await session.execute(select(IncidentRow.title))).scalars()]


async def test_a_request_its_process_died_holding_is_run_once_by_the_next(
    emulator: SlackEmulator, database_url: str, sre_config: SreConfig, clock: FixedClock
) -> None:
    async with bot_on(emulator, database_url, sre_config, clock, working=False) as (dead, slack):
        answer = await slack.slash("/incident", "create sev3 orphaned create", user="U0AAA")
        assert answer.status == 200 and answer.text == ""  # "got it": Slack shows nothing
        (row,) = await _rows(dead.db)
        assert row.state == inbox.PENDING
    assert not emulator.responses(answer.response_url)

    clock.advance(LEASE + timedelta(seconds=1))  # the dead process's hold lapsed
    async with bot_on(emulator, database_url, sre_config, clock, working=True) as (bot, _):

        async def answered() -> bool:
            return emulator.answers_shown(answer.response_url) >= 1 and bool(
                emulator.messages(sre_config.channels.incidents)
            )

        await eventually(answered, within=30, description="the create run by the next process")
        assert bot.outbox is not None and bot.inbox is not None
        await bot.inbox.drain(within=15)
        await bot.outbox.drain(within=15)
        assert await _titles(bot.db) == ["orphaned create"]
        (row,) = await _rows(bot.db)
        assert (row.state, row.attempts) == (inbox.DONE, 2)
    assert emulator.answers_shown(answer.response_url) == 1
    assert len(emulator.messages(sre_config.channels.incidents)) == 1


async def test_a_request_started_too_often_is_given_up_and_says_so(
    emulator: SlackEmulator,
    database_url: str,
    sre_config: SreConfig,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Five starts each ended with their process: the sixth process does not start it."""
    body = Payloads(emulator=emulator, team_id=emulator.team_id).slash_command(
        "/incident", "create sev3 kills its worker", user="U0AAA", channel="C0GENERAL"
    )
    db = Database(database_url)
    try:
        async with db.autocommit() as session:
            await inbox.store(
                session,
                key="poison",
                kind=RequestKind.COMMAND.value,
                body=json.dumps(body),
                received_at=clock.now(),
                hold_until=clock.now(),
                attempts=MAX_STARTS,
            )
    finally:
        await db.dispose()
    clock.advance(timedelta(seconds=1))
    async with bot_on(emulator, database_url, sre_config, clock, working=True) as (bot, _):

        async def given_up() -> bool:
            return [r.state for r in await _rows(bot.db)] == [inbox.GAVE_UP]

        await eventually(given_up, within=30, description="the request given up")
        assert await _titles(bot.db) == []
    assert "started 5 times without finishing; given up" in caplog.text
    assert not emulator.responses(body["response_url"])


async def test_finished_requests_are_forgotten_after_a_day_and_owed_ones_never(
    emulator: SlackEmulator, database_url: str, sre_config: SreConfig, clock: FixedClock
) -> None:
    async with bot_on(emulator, database_url, sre_config, clock, working=True) as (bot, slack):
        await slack.slash("/incident", "list", user="U0AAA")
        await requests_run(bot.db)  # answered, and recorded done
    clock.advance(KEEP + timedelta(minutes=1))
    async with bot_on(emulator, database_url, sre_config, clock, working=False) as (_, slack):
        await slack.slash("/incident", "list", user="U0BBB")  # stored; its process dies
    async with bot_on(emulator, database_url, sre_config, clock, working=False) as (bot, _):
        assert bot.inbox is not None
        # A pass with nothing to take (the owed one is still held) forgets what is old.
        assert await bot.inbox.work_due() == 0
        rows = await _rows(bot.db)
    assert [(r.state, r.attempts) for r in rows] == [(inbox.PENDING, 1)]


@contextmanager
def inbox_locked(database_url: str) -> Iterator[None]:
    """Another connection holds the inbox's table: every store and lease queues behind it."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with psycopg.connect(database_url) as holder:
        holder.execute("LOCK TABLE slack_inbox IN ACCESS EXCLUSIVE MODE")
        yield
        holder.rollback()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of the test's own, whatever TEST_DATABASE says: there another
    connection can hold the table while the bot keeps running (an SQLite writer in this
    process would block the event loop the bot's transactions need)."""
    with fresh_postgres_database("artisan_inbox") as url:
        yield url


async def test_a_store_that_lands_after_the_door_gave_up_is_never_run(
    emulator: SlackEmulator,
    postgres_url: str,
    sre_config: SreConfig,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database_url = postgres_url
    caplog.set_level(logging.WARNING)
    body = Payloads(emulator=emulator, team_id=emulator.team_id).slash_command(
        "/incident", "create sev3 told nothing was done", user="U0AAA", channel="C0GENERAL"
    )
    request = SlackRequest(key="late", kind=RequestKind.COMMAND, body=json.dumps(body))
    async with bot_on(emulator, database_url, sre_config, clock, working=False) as (bot, _):
        assert bot.inbox_job is not None and bot.inbox is not None
        door = Inbox(db=bot.db, clock=clock, run_here=bot.inbox_job.hand, within=0.3)
        with inbox_locked(database_url):
            assert await door.accept(request=request) is Stored.NOT_RECORDED

        async def abandoned() -> bool:
            return [r.state for r in await _rows(bot.db)] == [inbox.ABANDONED]

        await eventually(abandoned, within=30, description="the late store abandoned")
        clock.advance(LEASE + timedelta(seconds=1))  # past the door's hold, too
        assert await bot.inbox.drain(within=15) == 0
        assert await _titles(bot.db) == []
    assert "stored too late; abandoned, as its sender was told" in caplog.text


async def test_a_stopped_inbox_worker_leaves_its_request_owed_to_the_next_process(
    emulator: SlackEmulator, database_url: str, sre_config: SreConfig, clock: FixedClock
) -> None:
    """Stopped mid-request (its Slack call hanging) and mid-database-call (its lease queued
    behind a lock): each stop ends, leaves no task, and the next process runs the request."""
    emulator.stall("views.open", 3600)
    async with bot_on(emulator, database_url, sre_config, clock, working=True) as (bot, slack):
        assert bot.inbox is not None
        await slack.slash("/incident", "create", user="U0AAA")  # opens the form
        await emulator.wait_for(
            lambda e: e.calls_to("views.open"),
            timeout=30,
            description="the form being opened",
        )
        await bot.inbox.stop(within=10)
        assert not bot.inbox.running
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("inbox")]
        (row,) = await _rows(bot.db)
        assert row.state == inbox.PENDING  # owed still

    clock.advance(LEASE + timedelta(seconds=1))
    async with bot_on(emulator, database_url, sre_config, clock, working=False) as (bot, _):
        assert bot.inbox is not None
        with inbox_locked(database_url):
            bot.inbox.start()
            await asyncio.sleep(0)  # its first pass queues behind the lock
            await bot.inbox.stop(within=40)
        assert not bot.inbox.running
        (row,) = await _rows(bot.db)
        assert row.state == inbox.PENDING

    clock.advance(LEASE + timedelta(seconds=1))
    async with bot_on(emulator, database_url, sre_config, clock, working=True) as (bot, _):

        async def done() -> bool:
            return [r.state for r in await _rows(bot.db)] == [inbox.DONE]

        await eventually(done, within=30, description="the next process running it")
    opened = emulator.calls_to("views.open")
    assert len(opened) == 2  # the stopped start, then the next process's
