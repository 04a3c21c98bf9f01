"""On SQLite a transaction queued behind another writer ends at its bound, and ending it
leaves nothing behind: no task still running, no lock held, the database usable at once.
So does stopping the outbox while a post's record queues there (a shutdown beside a busy
writer): the post stays owed.

SQLite only: PostgreSQL's bounds are the fault suite's (tests/processes/test_database_stall.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.clock import SystemClock
from bot.outbox.deliverer import Deliverer
from bot.outbox.model import MessageRef, OwedPost
from bot.work.worker import Worker
from storage import migrate, outbox
from storage.db import Database, DatabaseTimeout
from storage.tables import PostRow


async def _others_end(before: set[asyncio.Task[object]], *, within: float) -> set[str]:
    """The tasks started since ``before`` that are still running after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        left = asyncio.all_tasks() - before - {asyncio.current_task()}
        if not left or loop.time() > deadline:
            return {repr(task) for task in left}
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("within", [0.3, 1.0])
async def test_a_transaction_queued_for_the_write_lock_ends_at_its_bound_and_leaves_nothing(
    tmp_path: Path, within: float
) -> None:
    path = tmp_path / "bot.db"
    db = Database(f"sqlite:///{path}")
    await db.ping()
    holder = sqlite3.connect(path, isolation_level=None)  # another process's writer
    holder.execute("BEGIN IMMEDIATE")
    before = asyncio.all_tasks()
    try:
        with pytest.raises(DatabaseTimeout) as timed_out:
            await db.ping(within=within)
        assert not timed_out.value.maybe_committed
        assert "nothing was stored" in str(timed_out.value)
    finally:
        holder.execute("COMMIT")
    # Once the other writer is done: nothing the bound cut short is still running (a close
    # waiting on a worker thread that was stopped under it would wait forever)…
    assert not await _others_end(before, within=10)
    # …the database serves again, and no connection of the bot's holds the write lock.
    await db.ping(within=within)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("COMMIT")
    holder.close()
    await db.dispose()


class TakesTheLockWhileSending:
    """Slack takes the post; meanwhile another writer takes the database's write lock, so
    the post's record queues for it. ``queued`` is set when the record's ``BEGIN IMMEDIATE``
    goes to SQLite (SQLAlchemy's ``before_cursor_execute``), where it waits for the lock."""

    def __init__(self, holder: sqlite3.Connection, db: Database) -> None:
        self.holder = holder
        self.sent = asyncio.Event()
        self.queued = asyncio.Event()
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._executing)

    def _executing(self, conn: object, cursor: object, statement: str, *rest: object) -> None:
        if self.sent.is_set() and statement == "BEGIN IMMEDIATE":
            self.queued.set()

    async def send(self, post: OwedPost) -> MessageRef | None:
        self.holder.execute("BEGIN IMMEDIATE")
        self.sent.set()
        return MessageRef(channel_id="C0INCIDENTS", ts="1700000000.000100")

    async def find(self, post: OwedPost) -> MessageRef | None:
        return None


async def test_stopping_the_outbox_while_a_record_waits_for_the_write_lock_leaves_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.db"
    migrate.upgrade(f"sqlite:///{path}")
    db = Database(f"sqlite:///{path}")
    async with db.transaction() as session:
        await outbox.owe(
            session, outbox.Owed(key="card:1", kind="card", subject="INC-1", at=datetime.now(UTC))
        )
    holder = sqlite3.connect(path, isolation_level=None)  # another process's writer
    sender = TakesTheLockWhileSending(holder, db)
    deliverer = Worker(Deliverer(db=db, clock=SystemClock(), sender=sender, lease=timedelta(60)))
    before = asyncio.all_tasks()
    deliverer.start()
    await asyncio.wait_for(sender.queued.wait(), 60)  # the post's record queues for the lock
    stopping = asyncio.create_task(deliverer.stop())
    # A fault, kept on purpose: the other writer holds the lock past the moments a stop that
    # cancelled again (every 2 s, as the old one did) would land in the driver's cleanup of
    # its first cancel. That old stop was timed, so only time can show it is gone.
    await asyncio.sleep(5)
    holder.execute("COMMIT")
    await asyncio.wait_for(stopping, 60)
    assert not await _others_end(before | {stopping}, within=10)
    # The record was cut short, so the post is still owed: the next process finds it in
    # Slack by its key and records it, rather than losing it.
    async with db.transaction() as session:
        row = await session.get(PostRow, "card:1")
    assert row is not None and row.state == outbox.PENDING
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("COMMIT")
    holder.close()
    await db.dispose()


class OneSlowSlackOneBusyDatabase:
    """Two subjects sent at once: Slack never answers the incident's card (until the stop
    cancels it), while the handoff goes out and its record queues behind another writer."""

    def __init__(self, holder: sqlite3.Connection) -> None:
        self.holder = holder
        self.handoff_sent = asyncio.Event()
        self.card_cancelled = asyncio.Event()

    async def send(self, post: OwedPost) -> MessageRef | None:
        if post.subject == "INC-1":
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.card_cancelled.set()
                raise
        self.holder.execute("BEGIN IMMEDIATE")
        self.handoff_sent.set()
        return MessageRef(channel_id="C0ONCALL", ts="1700000000.000200")

    async def find(self, post: OwedPost) -> MessageRef | None:
        return None


async def test_stopping_the_outbox_waits_for_every_subject_it_was_sending(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.db"
    migrate.upgrade(f"sqlite:///{path}")
    db = Database(f"sqlite:///{path}")
    at = datetime.now(UTC)
    async with db.transaction() as session:
        await outbox.owe(session, outbox.Owed(key="card:1", kind="card", subject="INC-1", at=at))
        await outbox.owe(
            session, outbox.Owed(key="handoff:1", kind="handoff", subject="oncall", at=at)
        )
    holder = sqlite3.connect(path, isolation_level=None)  # another process's writer
    sender = OneSlowSlackOneBusyDatabase(holder)
    queued = asyncio.Event()

    @event.listens_for(db.engine.sync_engine, "checkout")
    def _about_to_queue(*_: object) -> None:  # the record's first statement queues next
        if sender.handoff_sent.is_set():
            queued.set()

    deliverer = Worker(Deliverer(db=db, clock=SystemClock(), sender=sender, lease=timedelta(60)))
    before = asyncio.all_tasks()
    deliverer.start()
    await asyncio.wait_for(queued.wait(), 10)  # the handoff's record queues for the lock
    stopping = asyncio.create_task(deliverer.stop())
    await asyncio.wait_for(sender.card_cancelled.wait(), 10)
    for _ in range(20):  # the turns a stop that ended with the first cancelled send needs
        await asyncio.sleep(0)
    holder.execute("COMMIT")
    await asyncio.wait_for(stopping, 60)
    # The moment the stop returns, nothing it started is running: a send left behind would
    # be cancelled again by whatever ends the event loop, in the middle of the driver's
    # close of the first cancel (a close that never ends: the demo's Ctrl-C that hung).
    left = asyncio.all_tasks() - before - {stopping, asyncio.current_task()}
    assert not left, f"still running after the outbox's stop: {left}"
    async with db.transaction() as session:
        for key in ("card:1", "handoff:1"):
            row = await session.get(PostRow, key)
            assert row is not None and row.state == outbox.PENDING, key
    holder.close()
    await db.dispose()
