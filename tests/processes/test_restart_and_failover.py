"""Nothing lost, nothing twice: a SIGKILLed bot and a dead scheduler leader."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.app import build_container
from bot.clock import Clock
from bot.incidents.model import Incident, Severity
from bot.outbox import PostKind
from bot.settings import Environment, load_config
from sandbox.slack import SlackEmulator
from scheduler.leader import LEADER_KEY
from storage.db import Database
from storage.leases import LeaseRow
from storage.tables import PostRow
from tests.processes.conftest import Process, ProcessClock, wait_ready
from tests.support.ports import free_port
from tests.support.progress import eventually, had_its_chance

# The restart's outcome the engine can change (the PostgreSQL run repeats it); the leader
# test runs on PostgreSQL in every run (`worker_env`), so repeating it would add nothing.

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _declare(
    env: dict[str, str], emulator: SlackEmulator, count: int, clock: Clock
) -> list[tuple[str, str]]:
    """``count`` Sev4 incidents declared on the processes' clock, each with its card out."""
    environment = Environment(
        SLACK_BOT_TOKEN=env["SLACK_BOT_TOKEN"],
        SLACK_API_URL=env["SLACK_API_URL"],
        DATABASE_URL=env["DATABASE_URL"],
    )
    container = build_container(
        environment, load_config(env["SRE_CONFIG"]), clock=clock, db=Database(env["DATABASE_URL"])
    )
    try:
        declared = []
        for n in range(count):
            created = await container.incidents.create(
                title=f"disk {n}", severity=Severity.SEV4, actor="U0AAA"
            )
            assert container.outbox is not None
            await container.outbox.drain(within=10)

            # A running scheduler process may have leased the card first: wait for its record.
            async def recorded(incident_id: str = created.id) -> Incident | None:
                incident = await container.incidents.get(incident_id=incident_id)
                return incident if incident.message_ts is not None else None

            incident = await eventually(recorded, within=60, description="the card's record")
            assert incident.message_ts is not None
            declared.append((incident.id, incident.message_ts))
        return declared
    finally:
        await container.close()


async def _reminder_posts(database_url: str) -> list[PostRow]:
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            return list(
                (
                    await session.execute(
                        # A reminder superseded before it went out (dropped) was never sent.
                        select(PostRow).where(
                            PostRow.kind == PostKind.INCIDENT_REMINDER, PostRow.state != "dropped"
                        )
                    )
                ).scalars()
            )
    finally:
        await db.dispose()


async def _settled_posts(database_url: str) -> list[PostRow]:
    async def recorded() -> list[PostRow] | None:
        posts = await _reminder_posts(database_url)
        return posts if all(p.ts for p in posts) else None

    # A lease a dead process held runs out after 15 s.
    return await eventually(recorded, within=60, description="every reminder recorded")


def _reminders(emulator: SlackEmulator, declared: list[tuple[str, str]]) -> list[Any]:
    return [
        reply
        for _, ts in declared
        for reply in emulator.replies("C0INCIDENTS", ts)
        if reply.text.startswith("⏰")
    ]


def _assert_each_post_once(emulator: SlackEmulator, posts: list[PostRow]) -> None:
    # Every recorded reminder is in Slack exactly once, and no reminder is there twice. (A
    # reminder a dying process sent unrecorded, then superseded by a newer one, is in Slack
    # once and dropped in the outbox: the count is by key, not by rows.)
    keys = Counter(
        str(((reply.metadata or {}).get("event_payload") or {}).get("key"))
        for card in emulator.messages("C0INCIDENTS")
        for reply in emulator.replies("C0INCIDENTS", card.ts)
        if reply.text.startswith("⏰")
    )
    assert all(count == 1 for count in keys.values()), keys
    assert {p.key for p in posts if p.ts} <= set(keys)
    assert len({p.ts for p in posts}) == len(posts)


@pytest.mark.engine
async def test_a_sigkilled_bot_posts_every_due_reminder_once_after_restart(
    process_env: dict[str, str],
    emulator: SlackEmulator,
    start: Callable[..., Any],
    process_clock: ProcessClock,
) -> None:
    declared = await _declare(process_env, emulator, 3, process_clock.clock())
    port = free_port()
    env = {**process_env, "PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    first: Process = await start("bot-1", "serve", "--with-scheduler", env=env)
    await wait_ready(url)
    # Three ticks span the reminder interval (2 s) after the start, which came after every
    # declaration: each incident's first reminder was due, owed and then sent.
    await had_its_chance(url, ticks=3)
    assert len(_reminders(emulator, declared)) >= 3, "first reminders"
    first.kill()
    await first.process.wait()
    # A fault, kept on purpose: the bot is down for two reminder intervals of the real clock
    # its processes read, so reminders fall due while nobody runs.
    await asyncio.sleep(4.5)
    second: Process = await start("bot-2", "serve", "--with-scheduler", env=env)
    before = len(_reminders(emulator, declared))
    await wait_ready(url)
    await emulator.wait_for(
        lambda e: len(_reminders(e, declared)) >= before + 3,
        timeout=45,  # a dead process's leases run out after 15 s
        description="after restart",
    )
    # A post the kill left unrecorded is settled once its lease has run out.
    posts = await _settled_posts(process_env["DATABASE_URL"])
    await second.stop()
    _assert_each_post_once(emulator, posts)
    for incident_id, _ in declared:
        mine = [p for p in posts if p.subject == incident_id]
        # The downtime's missed reminders came as one, not a burst: due times never repeat.
        assert len({p.key for p in mine}) == len(mine) >= 2
    assert "Traceback" not in second.log()


async def _holder(database_url: str, *, other_than: str = "") -> str:
    """Who holds the leader lease, waiting up to 60 s for someone (else) to take it."""
    db = Database(database_url)
    try:
        for _ in range(600):
            async with db.transaction() as session:
                row = await session.get(LeaseRow, LEADER_KEY)
            if row is not None and row.holder != other_than:
                return row.holder
            await asyncio.sleep(0.1)
    finally:
        await db.dispose()
    raise AssertionError("no scheduler took the leader lease")


async def test_a_stand_by_scheduler_takes_over_from_a_dead_leader(
    worker_env: dict[str, str],
    emulator: SlackEmulator,
    start: Callable[..., Any],
    process_clock: ProcessClock,
) -> None:
    env = {**worker_env, "REDIS_URL": REDIS_URL}
    schedulers: list[Process] = [
        await start("scheduler-a", "worker", env=env),
        await start("scheduler-b", "worker", env=env),
    ]
    holder = await _holder(worker_env["DATABASE_URL"])
    leader = next(p for p in schedulers if f":{p.process.pid}:" in holder)
    standby = next(p for p in schedulers if p is not leader)
    declared = await _declare(worker_env, emulator, 2, process_clock.clock())
    await emulator.wait_for(
        lambda e: len(_reminders(e, declared)) >= 2, timeout=60, description="leader posts"
    )
    # Only the leader decides what is owed; any process with Slack may deliver it.
    assert "owed reminder" in leader.log() and "owed reminder" not in standby.log()
    leader.kill()
    await leader.process.wait()
    await emulator.wait_for(
        lambda e: len(_reminders(e, declared)) >= 4, timeout=60, description="stand-by posts"
    )
    assert "owed reminder" in standby.log()
    new_holder = await _holder(worker_env["DATABASE_URL"], other_than=holder)
    assert f":{standby.process.pid}:" in new_holder
    posts = await _settled_posts(worker_env["DATABASE_URL"])
    await standby.stop()
    _assert_each_post_once(emulator, posts)
