"""Engines and sessions for SQLite (default) and PostgreSQL, both through async drivers."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql import Executable

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


_T = TypeVar("_T")


class UnsupportedDatabase(ValueError):
    """DATABASE_URL names a database this project does not run on."""


CONNECT_TIMEOUT = 3.0
"""Seconds to open a connection (TCP and the server's greeting)."""
STATEMENT_TIMEOUT = 10.0
"""Seconds one transaction may take on PostgreSQL, on the server (statement_timeout) and here."""
SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds an SQLite transaction may queue for the write lock, unless given a shorter bound."""
_SQLITE_BACKSTOP = 5.0
"""Seconds past its bound before an SQLite transaction is cancelled: SQLite itself ends a wait
for the lock at the bound, so only a starved worker thread is left to this."""
_DEADLINE = "artisan_sqlite_deadline"
_BUSY_MS = "artisan_sqlite_busy_ms"
_COMMITTED = "artisan_sqlite_committed"
POOL_SIZE = 12
POOL_OVERFLOW = 8
"""PostgreSQL connections per process: kept, and opened beyond that for a burst."""
IDLE_BEFORE_PING = 1.0
"""Seconds a pooled PostgreSQL connection may sit unused before it is pinged at checkout."""
_CANCEL_GRACE = 0.5
"""After a timeout psycopg asks the server to cancel (up to 10 s through a stalled network);
a second cancellation this much later closes the connection instead."""


class DatabaseTimeout(TimeoutError):
    """The database did not answer within the bound. ``maybe_committed`` is False when the
    transaction had not reached its commit (nothing was stored), True when the commit was
    sent and its answer never came (it may or may not be stored)."""

    def __init__(self, seconds: float, *, maybe_committed: bool) -> None:
        stored = "it may or may not be stored" if maybe_committed else "nothing was stored"
        super().__init__(f"the database did not answer within {seconds:g}s; {stored}")
        self.seconds = seconds
        self.maybe_committed = maybe_committed


def _with_driver(url: str, *, sqlite: str) -> str:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername=sqlite))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise UnsupportedDatabase(
        f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://HOST/NAME"
    )


def insert_into(on: Executor, table: Any) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` in the dialect of ``on``: both can do nothing, or update, on a conflict."""
    return insert_in(dialect_of(on), table)


@cache
def insert_in(dialect: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` in ``dialect``, built once per table: a statement used again keeps its
    cache key, which SQLAlchemy otherwise works out anew for each execution (build what
    follows it once too, ``functools.cache`` on the dialect, on a path run per request).

    Each dialect is imported here, where its engine has loaded it already: an SQLite process
    never loads PostgreSQL's, nor the other way round."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


Executor = AsyncSession | AsyncConnection
"""Where a Core statement runs: a session's transaction (``Database.transaction``) or a bare
connection's (``Database.connection``, on the paths that run per request)."""


async def run(on: Executor, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
    """Run a Core statement in ``on``'s transaction.

    For statements on tables (``Model.__table__``), on the paths that run per request: the
    ORM's execute costs twice the CPU of the statement itself (a fifth of a millisecond on
    PostgreSQL), and has nothing to add to an INSERT or UPDATE of plain values.
    """
    connection = on if isinstance(on, AsyncConnection) else await on.connection()
    return await connection.execute(statement, parameters)


def dialect_of(on: Executor) -> str:
    """``postgresql`` or ``sqlite``."""
    if isinstance(on, AsyncConnection):
        return on.dialect.name
    return on.get_bind().dialect.name


def async_url(url: str) -> str:
    """The URL with the async driver this project uses for its dialect (psycopg 3 is both)."""
    return _with_driver(url, sqlite="sqlite+aiosqlite")


def sync_url(url: str) -> str:
    """The URL with a synchronous driver, for Alembic."""
    return _with_driver(url, sqlite="sqlite")


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, BEGIN IMMEDIATE, and each transaction's bound as its busy timeout.

    Taking the write lock at BEGIN means two writers queue on the busy timeout instead
    of one failing with "database is locked" when it upgrades a read lock mid-transaction.
    The queue is bounded by SQLite itself: the busy timeout is what is left of the
    transaction's bound (its ``_DEADLINE`` execution option, set by ``Database._bounded``)
    once it has a connection, rather than a cancel of the wait (see ``Database._bounded``).
    """
    default_ms = int(SQLITE_BUSY_TIMEOUT * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={default_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        record.info[_BUSY_MS] = default_ms

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        deadline = connection.get_execution_options().get(_DEADLINE)
        busy_ms = default_ms
        if deadline is not None:
            busy_ms = max(0, int((deadline - time.monotonic()) * 1000))
        # Set again only when it moves by more than a second (its backstop's margin covers
        # that): most transactions get their connection at once and keep the last setting.
        if abs(connection.connection.info.get(_BUSY_MS, -1) - busy_ms) > 1000 or busy_ms < 1000:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")
            connection.connection.info[_BUSY_MS] = busy_ms
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
        # SQLAlchemy's own rollback on return is off (``_engine``): it is one more trip to
        # aiosqlite's thread per transaction. A connection whose transaction ``_connection``
        # saw commit has nothing to undo and nothing under way in that thread; any other
        # (a session's, or one cut short by a cancel, whose BEGIN may still be running
        # there) is rolled back as before, that rollback queued behind whatever is.
        committed = record.info.pop(_COMMITTED, False)
        if state.asyncio_safe and not state.terminate_only and not committed:
            dbapi_connection.rollback()


def _engine(
    url: str, *, echo: bool, connect_timeout: float, statement_timeout: float
) -> AsyncEngine:
    """The engine with its timeouts: a database that accepts connections and answers nothing
    (a stalled network, a hung server) costs a bounded wait, never a hung request."""
    target = async_url(url)
    parsed = make_url(target)
    if parsed.get_backend_name() == "sqlite":
        # A file the process opened itself cannot drop the connection: nothing to ping. Its
        # connections are all kept: one opened past the pool is a thread, a file and four
        # PRAGMAs, and under a burst every transaction holds one while it queues for the
        # write lock (SQLAlchemy's default, 5 kept, opened and closed one for every other
        # create at ten at a time).
        in_memory = parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed)
        kept = {"pool_size": POOL_SIZE + POOL_OVERFLOW, "max_overflow": POOL_OVERFLOW}
        pool = {} if in_memory else kept
        return create_async_engine(
            target,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT},
            pool_reset_on_return=None,  # _configure_sqlite's reset does it, when needed
            **pool,
        )
    engine = create_async_engine(
        target,
        echo=echo,
        # Waiting for a free pooled connection is a queue under a burst, not a fault: it may
        # take the transaction's whole bound, which still ends it.
        pool_timeout=statement_timeout,
        # Kept open under load: the Slack work (8 at a time), the replay check, the outbox
        # and alerts each need one; a connection opened and closed per burst costs more
        # CPU than the request it serves.
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        connect_args={
            "connect_timeout": max(1, round(connect_timeout)),
            "options": f"-c statement_timeout={int(statement_timeout * 1000)}",
        },
    )
    _ping_when_idle(engine, after=IDLE_BEFORE_PING)
    return engine


def _ping_when_idle(engine: AsyncEngine, *, after: float) -> None:
    """Ping a pooled connection at checkout when it sat unused longer than ``after`` seconds.

    A connection dropped while idle (a server restart, a firewall's idle timeout) is found
    and the pool refilled before a transaction meets it, as ``pool_pre_ping`` does; but a
    connection handed back moments ago is not asked again, which under load saves a round
    trip per transaction. One that breaks between two close uses fails its transaction,
    and the pool is refilled from that error.
    """
    dialect = engine.dialect
    checked_in_at = "artisan_checked_in_at"

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[checked_in_at] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(checked_in_at)
        if since is None or time.monotonic() - since <= after:
            return  # fresh, or in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                # Every pooled connection is as old as this one: start again (as pre-ping).
                raise InvalidatePoolError() from exc
            raise


def _postgres_timeouts() -> tuple[type[Exception], type[Exception]]:
    """psycopg's connect timeout and cancelled statement. Imported here, by a PostgreSQL
    engine that has loaded psycopg already, so an SQLite process never pays for it."""
    from psycopg.errors import ConnectionTimeout, QueryCanceled

    return ConnectionTimeout, QueryCanceled


def _locked(error: DBAPIError) -> bool:
    """SQLite gave up queueing for the write lock (its busy timeout)."""
    return "database is locked" in str(error.orig)


class _Writers:
    """SQLite lets one transaction write at a time (and every transaction here takes the
    write lock at BEGIN). In this process they wait here for their turn, in order, urgent
    ones (the door's store of a request, readiness) first, instead of each polling
    SQLite's busy handler, whose sleeps grow to 100 ms: a burst's last writer would wait
    for its luck, and the door's ack with it. Another process's writers (the shell) still
    meet the busy timeout."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, urgent: bool) -> None:
        if not self._held:
            self._held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._others
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the turn came as the wait was cancelled: pass it on
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._others):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the turn passes to it, still held
                    return
        self._held = False


class Database:
    """One engine and its session factory; built once by the composition root.

    Every transaction is bounded (``timeout``: 10 s on PostgreSQL, 30 s on SQLite, where
    what takes time is queueing for the write lock); past it the transaction is abandoned
    and DatabaseTimeout says whether anything may have been stored.
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        connect_timeout: float = CONNECT_TIMEOUT,
        timeout: float | None = None,
    ) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self.engine = _engine(
            url,
            echo=echo,
            connect_timeout=connect_timeout,
            statement_timeout=timeout or STATEMENT_TIMEOUT,
        )
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
        self.timeout = timeout or (
            SQLITE_BUSY_TIMEOUT if self.dialect == "sqlite" else STATEMENT_TIMEOUT
        )
        # SQLite's transactions cost no round trip, and switching a connection to autocommit
        # and back costs more than they do: there, a statement keeps its transaction.
        self._autocommit_engine = self.engine
        if self.dialect == "postgresql":
            self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._statements = async_sessionmaker(self._autocommit_engine, expire_on_commit=False)
        self._writers = _Writers() if self.dialect == "sqlite" else None
        self._turns: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def one_at_a_time(self, name: str) -> AsyncIterator[None]:
        """Run the block while no other block under ``name`` runs, in this process or any
        other: a lock of this process's, and on PostgreSQL a session advisory lock held on a
        connection of its own for the block (released at its end, or when the process dies
        and its connection closes). SQLite is written by one process (docs/decisions.md),
        so there the process's lock is the whole of it. For a decision read and acted on in
        several transactions, such as "is there an incident to join, else open one"."""
        turn = self._turns.setdefault(name, asyncio.Lock())
        async with turn:
            if self.dialect != "postgresql":
                yield
                return
            key = {"key": zlib.crc32(name.encode())}
            async with self._autocommit_engine.connect() as connection:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
                try:
                    yield
                finally:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)

    def transaction(
        self, *, within: float | None = None, urgent: bool = False
    ) -> AbstractAsyncContextManager[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error.

        The whole block, commit included, must finish ``within`` seconds (the database's
        bound by default); else DatabaseTimeout.
        """
        return self._bounded(partial(self._session, self._sessions), within=within, urgent=urgent)

    def autocommit(
        self, *, within: float | None = None, urgent: bool = False
    ) -> AbstractAsyncContextManager[AsyncSession]:
        """A session whose every statement is a transaction of its own, bounded as above.

        For one statement, or reads that need not agree with each other: on PostgreSQL no
        BEGIN and COMMIT round trips (a fifth of a one-read transaction's CPU). On SQLite it
        is a transaction, whose BEGIN and COMMIT cost no round trip.
        """
        return self._bounded(partial(self._session, self._statements), within=within, urgent=urgent)

    def connection(
        self, *, within: float | None = None, urgent: bool = False
    ) -> AbstractAsyncContextManager[AsyncConnection]:
        """``transaction`` on a bare connection, for Core statements (``run``) only.

        For the paths that run per request: no ORM session around the statements, which
        costs about as much CPU as a statement (a fifth of a millisecond on PostgreSQL).
        """
        return self._bounded(partial(self._connection, self.engine), within=within, urgent=urgent)

    def statements(
        self, *, within: float | None = None, urgent: bool = False
    ) -> AbstractAsyncContextManager[AsyncConnection]:
        """``autocommit`` on a bare connection, for Core statements (``run``) only."""
        return self._bounded(
            partial(self._connection, self._autocommit_engine), within=within, urgent=urgent
        )

    @asynccontextmanager
    async def _session(
        self, sessions: async_sessionmaker[AsyncSession], seconds: float
    ) -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            if self.dialect == "sqlite":
                # BEGIN IMMEDIATE now, its busy timeout what is left of the bound.
                deadline = time.monotonic() + seconds
                await session.connection(execution_options={_DEADLINE: deadline})
            yield session

    @asynccontextmanager
    async def _connection(
        self, engine: AsyncEngine, seconds: float
    ) -> AsyncIterator[AsyncConnection]:
        async with engine.connect() as connection:
            if self.dialect == "sqlite":
                deadline = time.monotonic() + seconds
                await connection.execution_options(**{_DEADLINE: deadline})
            async with connection.begin():
                yield connection
            if self.dialect == "sqlite":
                connection.sync_connection.connection.info[_COMMITTED] = True  # type: ignore[union-attr]

    @asynccontextmanager
    async def _bounded(
        self,
        opened: Callable[[float], AbstractAsyncContextManager[_T]],
        *,
        within: float | None,
        urgent: bool = False,
    ) -> AsyncIterator[_T]:
        seconds = within or self.timeout
        if self._writers is None:
            async with self._bounded_open(opened, seconds, reported=seconds) as opened_in:
                yield opened_in
            return
        # SQLite: the turn is waited for within the bound; the transaction gets what is left.
        started = time.monotonic()
        try:
            async with asyncio.timeout(seconds):
                await self._writers.acquire(urgent=urgent)
        except TimeoutError:
            raise DatabaseTimeout(seconds, maybe_committed=False) from None
        try:
            left = max(seconds - (time.monotonic() - started), 0.001)
            async with self._bounded_open(opened, left, reported=seconds) as opened_in:
                yield opened_in
        finally:
            self._writers.release()

    @asynccontextmanager
    async def _bounded_open(
        self,
        opened: Callable[[float], AbstractAsyncContextManager[_T]],
        seconds: float,
        *,
        reported: float,
    ) -> AsyncIterator[_T]:
        committing = False
        on_sqlite = self.dialect == "sqlite"
        if on_sqlite:
            # SQLite ends the wait for its lock at the bound. Cancelling a call into aiosqlite
            # instead makes SQLAlchemy close the connection behind the call under way, and a
            # second cancel then (a shutdown, a test's teardown) stops aiosqlite's thread
            # under that close: a task that never ends, and once the write lock held for
            # good (every writer then "database is locked"). One backstop cancel, never two.
            work, cleanup = asyncio.timeout(seconds + _SQLITE_BACKSTOP), asyncio.timeout(None)
        else:
            # Two bounds: the first cancels the work; psycopg then asks the server to cancel
            # it, which a stalled network never answers, so the second ends that wait.
            work, cleanup = asyncio.timeout(seconds), asyncio.timeout(seconds + _CANCEL_GRACE)
        try:
            async with cleanup, work, opened(seconds) as opened_in:
                yield opened_in
                committing = True
        except TimeoutError:
            if not (work.expired() or cleanup.expired()):
                raise  # not ours: a timeout inside the block
            raise DatabaseTimeout(reported, maybe_committed=committing) from None
        except (DBAPIError, PoolTimeout) as exc:
            if on_sqlite and isinstance(exc, DBAPIError) and _locked(exc):
                raise DatabaseTimeout(reported, maybe_committed=committing) from exc
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # Cancelled from outside (a shutdown): psycopg turned the cancel into the
                # server's "canceling statement"; the task must still end, not read it as a
                # timeout and carry on.
                raise asyncio.CancelledError from exc
            # The driver's own bounds: no free connection in the pool, no connection within
            # the connect timeout, or the server's statement_timeout.
            if isinstance(exc, PoolTimeout):
                raise DatabaseTimeout(reported, maybe_committed=False) from exc
            if not on_sqlite:
                connect_timeout, cancelled = _postgres_timeouts()
                if isinstance(exc.orig, connect_timeout):
                    raise DatabaseTimeout(self.connect_timeout, maybe_committed=False) from exc
                if isinstance(exc.orig, cancelled):
                    raise DatabaseTimeout(reported, maybe_committed=committing) from exc
            raise

    async def ping(self, *, within: float | None = None) -> None:
        """``SELECT 1``; DatabaseTimeout when no answer comes ``within`` seconds."""
        async with self.autocommit(within=within, urgent=True) as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
