"""Proof that something had its chance to happen, instead of a wait of some seconds.

For a running bot, read from its ``/metrics``: the scheduler's completed ticks and the
outbox's completed passes. Once the scheduler has ticked N more times and the outbox has
passed twice since, whatever those ticks owed has been decided and tried, however slow the
machine is. In a test's own event loop: the loop has turned, so every task that was ready
has run as far as it could.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import col, select

from bot.runbooks.store import DRIVEN
from storage import alerts, inbox, outbox
from storage.alerts import AlertNotificationRow
from storage.db import Database
from storage.runbooks import RunbookRunRow
from storage.tables import PostRow

T = TypeVar("T")
LOOP_TURNS = 100
TICKS = "artisan_sre_scheduler_ticks"
PASSES = "artisan_sre_outbox_passes"


@dataclass(frozen=True)
class Progress:
    ticks: float
    passes: float


async def progress(url: str) -> Progress:
    """The counts the bot at ``url`` shows now (0 for a counter not yet exposed)."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.get(f"{url}/metrics") as answer,
    ):
        assert answer.status == 200, await answer.text()
        exposition = await answer.text()
    counts = {TICKS: 0.0, PASSES: 0.0}
    for family in text_string_to_metric_families(exposition):
        if family.name in counts:
            counts[family.name] = sum(s.value for s in family.samples if s.name.endswith("_total"))
    return Progress(ticks=counts[TICKS], passes=counts[PASSES])


async def had_its_chance(url: str, *, ticks: int = 1, within: float = 120.0) -> Progress:
    """Return once the bot at ``url`` has completed ``ticks`` more scheduler ticks than when
    called, then two more outbox passes (the first may have begun before the last tick), so
    what those ticks owed has been posted or tried. ``within`` only bounds a bot that stopped
    ticking altogether; the wait itself is on the counts."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    start = await progress(url)
    now = start
    while now.ticks < start.ticks + ticks:
        now = await _after(url, now, deadline, f"{ticks} scheduler tick(s)")
    after_ticks = now
    while now.passes < after_ticks.passes + 2:
        now = await _after(url, now, deadline, "two outbox passes after the ticks")
    return now


async def outbox_passed(url: str, *, passes: int = 2, within: float = 120.0) -> Progress:
    """Return once the bot at ``url`` has completed ``passes`` more outbox passes than when
    called (two: one begun after the call), so what was owed before the call has been tried."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    start = now = await progress(url)
    while now.passes < start.passes + passes:
        now = await _after(url, now, deadline, f"{passes} outbox passes")
    return now


async def posts_settled(
    database_url: str, *, kinds: Collection[str], within: float = 120.0
) -> None:
    """Return once no post of ``kinds`` is owed any more (each one sent and recorded, dropped
    or failed): none of them can go out again, so a post sent twice shows by then. A lease a
    killed process held runs out first, and its retry finds or repeats the post."""

    db = Database(database_url)

    async def settled() -> bool:
        async with db.transaction() as session:
            owed = await session.execute(
                select(PostRow.key).where(
                    col(PostRow.kind).in_(kinds), PostRow.state == outbox.PENDING
                )
            )
            return not owed.first()

    try:
        await eventually(settled, within=within, description=f"no {', '.join(kinds)} post owed")
    finally:
        await db.dispose()


async def alerts_worked(database_url: str, *, within: float = 120.0) -> None:
    """Return once every Alertmanager notification the bot stored has been worked (its
    incident, note, reply and runbook decided): what it delivered has had its effect."""
    db = Database(database_url)

    async def worked() -> bool:
        async with db.transaction() as session:
            waiting = await session.execute(
                select(AlertNotificationRow.id).where(AlertNotificationRow.state == alerts.PENDING)
            )
            return not waiting.first()

    try:
        await eventually(worked, within=within, description="every alert notification worked")
    finally:
        await db.dispose()


async def _after(url: str, last: Progress, deadline: float, what: str) -> Progress:
    if asyncio.get_running_loop().time() > deadline:
        raise AssertionError(f"the bot at {url} never completed {what} (at {last})")
    await asyncio.sleep(0.05)
    return await progress(url)


async def let_the_loop_turn(times: int = LOOP_TURNS) -> None:
    """Yield to the event loop ``times`` times: whatever a ready task would do without
    waiting on time (end, cancel another, answer a server in this process over loopback)
    it has done by then, on a busy machine as on a quiet one."""
    for _ in range(times):
        await asyncio.sleep(0)


async def eventually(read: Callable[[], Awaitable[T]], *, within: float, description: str) -> T:
    """Poll ``read`` until it returns something truthy; fail after ``within`` seconds. The
    bound only ends a wait for something that never comes: make it generous."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await read()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {description}")
        await asyncio.sleep(0.2)


async def wait_ready(url: str, *, within: float = 60.0) -> None:
    """Until the bot at ``url`` answers ``/health/ready`` with 200. Generous: a process
    starts in about 2 s alone, many times that beside a busy test run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while loop.time() < deadline:
            try:
                async with http.get(f"{url}/health/ready") as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"the bot at {url} was not ready within {within:g} s")


async def runs_driven(db: Database, *, within: float = 120.0) -> None:
    """Return once no runbook run is the runs job's to drive (each ended, or waits for a
    person): what a start, an approval or a resume owed has been done."""

    async def driven() -> bool:
        async with db.transaction() as session:
            driving = await session.execute(
                select(RunbookRunRow.id).where(
                    col(RunbookRunRow.state).in_([state.value for state in DRIVEN])
                )
            )
            return not driving.first()

    await eventually(driven, within=within, description="every runbook run driven")


async def requests_run(db: Database, *, within: float = 60.0) -> None:
    """Return once every Slack request the door stored has been run (none pending)."""

    async def run() -> bool:
        async with db.transaction() as session:
            return await inbox.count(session, state=inbox.PENDING) == 0

    await eventually(run, within=within, description="every stored Slack request run")
