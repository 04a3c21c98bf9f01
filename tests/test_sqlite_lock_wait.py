"""On SQLite a transaction queued behind another writer ends at its bound, and ending it
leaves nothing behind: no task still running, no lock held, the database usable at once.

SQLite only: PostgreSQL's bounds are the fault suite's (tests/processes/test_database_stall.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.db import Database, DatabaseTimeout


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
