"""Another process's writer holding the bot's database still, so a test can stop a worker
while one of its database calls waits, and proof that nothing of a stopped worker runs on.

On SQLite the other writer holds the write lock (every transaction of the bot queues at its
``BEGIN IMMEDIATE``); on PostgreSQL it holds an EXCLUSIVE lock on the tables a test names
(their writes queue, reads go on). Either way the bot's call waits in the database's own
queue, as it does beside a busy writer, for as long as the test says.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg
from sqlalchemy import event

from storage.db import Database
from tests.support.progress import eventually, let_the_loop_turn


class OtherWriter:
    """Holds what the bot's next write needs, from a connection of its own."""

    def __init__(self, db: Database, *, tables: Sequence[str]) -> None:
        """``tables``: what PostgreSQL locks (SQLite has one lock for the whole file)."""
        self._db = db
        self._tables = list(tables)
        self._sqlite = db.dialect == "sqlite"
        self._sqlite_holder: sqlite3.Connection | None = None
        self._postgres_holder: psycopg.Connection[Any] | None = None
        self._after: Callable[[str], bool] | None = None
        self._armed = False
        self._queued = asyncio.Event()
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._executing)

    @property
    def held(self) -> bool:
        return self._sqlite_holder is not None or self._postgres_holder is not None

    async def take(self) -> None:
        """Take the lock as soon as no transaction of the bot's holds it (another lane may
        be writing this moment: each try waits briefly, then lets the loop run it on)."""
        while not self._try_take(wait=0.01):  # noqa: ASYNC110 - a lock in another connection
            await asyncio.sleep(0.01)

    def _try_take(self, *, wait: float) -> bool:
        """Take the lock within ``wait`` seconds (blocking the loop that long), or give up."""
        if self._sqlite:
            path = self._db.url.removeprefix("sqlite:///")
            holder = sqlite3.connect(path, isolation_level=None, timeout=wait)
            try:
                holder.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # database is locked
                holder.close()
                return False
            self._sqlite_holder = holder
            return True
        connection = psycopg.connect(self._db.url)
        try:
            connection.execute(f"SET LOCAL lock_timeout = {max(1, int(wait * 1000))}")
            connection.execute(f"LOCK TABLE {', '.join(self._tables)} IN EXCLUSIVE MODE")
        except psycopg.errors.LockNotAvailable:
            connection.close()
            return False
        self._postgres_holder = connection
        return True

    def take_after(self, statement: Callable[[str], bool]) -> None:
        """Take the lock once the bot runs a statement ``statement`` matches: on SQLite
        before the bot's next transaction begins (the one it is in holds the lock until its
        commit), on PostgreSQL at once (the named tables are not that transaction's)."""
        self._after = statement

    async def waited_on(self, *, within: float = 60.0) -> None:
        """Return once a database call of the bot's queues for the lock."""
        if self._sqlite:
            await asyncio.wait_for(self._queued.wait(), within)
            return
        await self._until_waiting(True, within=within)

    async def given_up(self, *, within: float = 60.0) -> None:
        """Return once the bot's waiting call has had its cancel (a stop's). PostgreSQL
        cancels the statement on the server, so nothing of it is left waiting. SQLite's
        call ends only when the lock is free; its cancel has landed once the event loop
        has turned, and its transaction is rolled back then (release the lock after this)."""
        if self._sqlite:
            await let_the_loop_turn()
            return
        await self._until_waiting(False, within=within)

    async def _until_waiting(self, waiting: bool, *, within: float) -> None:
        """PostgreSQL: until a call of the bot's waits for the lock (or none does)."""
        async with await psycopg.AsyncConnection.connect(self._db.url, autocommit=True) as seer:

            async def as_wanted() -> bool:
                if self._postgres_holder is None:  # not taken yet (``take_after``)
                    return not waiting
                found = await seer.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> %s",
                    (self._postgres_holder.info.backend_pid,),
                )
                row = await found.fetchone()
                return (row is not None and row[0] > 0) is waiting

            what = "the bot's call to queue" if waiting else "the bot's call to give up"
            await eventually(as_wanted, within=within, description=what)

    def release(self) -> None:
        """End the other writer's transaction (it wrote nothing) and close it."""
        if self._sqlite_holder is not None:
            self._sqlite_holder.execute("ROLLBACK")
            self._sqlite_holder.close()
            self._sqlite_holder = None
        if self._postgres_holder is not None:
            self._postgres_holder.rollback()
            self._postgres_holder.close()
            self._postgres_holder = None

    def close(self) -> None:
        self.release()
        event.remove(self._db.engine.sync_engine, "before_cursor_execute", self._executing)

    def _executing(self, _conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        """The bot is about to run ``statement`` (on the event loop's thread)."""
        if self._after is not None and not self.held:
            # Taken here, in the bot's own call, so only while nothing else of the bot's
            # writes: a lane holding the lock would need this blocked loop to let it go.
            if not self._armed and self._after(statement):
                self._armed = True
                if not self._sqlite:
                    assert self._try_take(wait=5.0), "the tables were busy"
                    return
            if self._armed and self._sqlite and statement == "BEGIN IMMEDIATE":
                assert self._try_take(wait=5.0), "the database was busy"
        if self._sqlite and self.held and statement == "BEGIN IMMEDIATE":
            self._queued.set()


def tasks_left(before: Iterable[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Tasks started since ``before`` that still run the bot's own code (a worker's lane,
    a send, a lease renewer), not a server's of the test's."""
    started = asyncio.all_tasks() - set(before)
    return [task for task in started if not task.done() and _the_bots(task)]


def _the_bots(task: asyncio.Task[Any]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and "/bot/" in code.co_filename
