"""What one database round trip costs this process in CPU, through the project's own stack.

A create is about 17 round trips (its transaction, the outbox's passes, reads and records for
the card and the answer); this is the floor each of them stands on. Measured in one process
with nothing else running on its event loop: ``storage.db.Database`` (SQLAlchemy's asyncio
ORM session over psycopg 3), and psycopg alone for comparison.

    .venv/bin/python -m bench.round_trip_cpu
    .venv/bin/python -m bench.round_trip_cpu --database postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.databases import fresh_database
from storage.db import Database
from storage.tables import IncidentRow

BENCH_DATABASE = "artisan_round_trip_bench"


async def cpu_per_call(work: Callable[[], Awaitable[object]], *, times: int) -> float:
    """Milliseconds of this process's CPU per call of ``work``, after a warm-up."""
    for _ in range(50):
        await work()
    start = time.process_time()
    for _ in range(times):
        await work()
    return (time.process_time() - start) / times * 1000


async def measure(url: str, *, times: int) -> list[tuple[str, float]]:
    db = Database(url)
    key = "INC-20260101-000000"

    async def empty() -> None:
        async with db.transaction():
            pass

    async def one_read() -> None:
        async with db.transaction() as session:
            await session.get(IncidentRow, key)

    async def three_reads() -> None:
        async with db.transaction() as session:
            for _ in range(3):
                await session.get(IncidentRow, key, populate_existing=True)

    async def one_statement() -> None:
        async with db.autocommit() as session:
            await session.get(IncidentRow, key)

    rows = [
        ("transaction, no statement", await cpu_per_call(empty, times=times)),
        ("transaction, one read", await cpu_per_call(one_read, times=times)),
        ("transaction, three reads", await cpu_per_call(three_reads, times=times)),
        ("autocommit, one read", await cpu_per_call(one_statement, times=times)),
    ]
    await db.dispose()
    if make_url(url).get_backend_name() == "postgresql":
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        async with await psycopg.AsyncConnection.connect(plain, autocommit=True) as connection:

            async def driver_only() -> None:
                cursor = await connection.execute("SELECT * FROM incidents WHERE id = %s", (key,))
                await cursor.fetchone()

            rows.append(("psycopg alone, one read", await cpu_per_call(driver_only, times=times)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL admin URL (a database is made there)")
    parser.add_argument("--times", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(args.database, workdir=Path(workdir), name=BENCH_DATABASE)
        rows = asyncio.run(measure(url, times=args.times))
    print(f"{make_url(url).get_backend_name()}: CPU per call, {args.times} calls each")
    for name, ms in rows:
        print(f"  {name:<28} {ms:6.3f} ms")


if __name__ == "__main__":
    main()
