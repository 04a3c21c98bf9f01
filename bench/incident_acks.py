"""How fast the bot acknowledges ``/incident create`` and gets the card out, over real HTTP.

Runs the real app on a loopback port against the Slack emulator, sends N signed slash
commands with C at a time, and reports the ack latency (what Slack's 3-second rule is
about) and the time until every card was posted.

    .venv/bin/python -m bench.incident_acks --requests 200 --concurrency 20
    .venv/bin/python -m bench.incident_acks --database postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp import web

from bench.databases import fresh_database
from bot.app import build_container
from bot.settings import Environment
from sandbox.slack import SlackDriver, SlackEmulator
from storage.db import Database
from tests.support.config import sandbox_config

SECRET = "bench-secret"


async def bench(requests: int, concurrency: int, database: str | None) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(database, workdir=Path(workdir), name="artisan_bench")
        async with SlackEmulator() as emulator:
            env = Environment(
                SLACK_BOT_TOKEN=emulator.bot_token,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=emulator.api_url,
                DATABASE_URL=url,
            )
            container = build_container(env, sandbox_config(), db=Database(url))
            container.start_inbox()
            container.start_delivery()
            runner = web.AppRunner(container.web_app())
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            async with SlackDriver(
                app_url=f"http://127.0.0.1:{port}", signing_secret=SECRET, emulator=emulator
            ) as slack:
                gate = asyncio.Semaphore(concurrency)
                acks: list[float] = []

                async def one(n: int) -> None:
                    async with gate:
                        answer = await slack.slash(
                            "/incident", f"create sev4 bench {n}", user="U0AAA"
                        )
                        assert answer.status == 200
                        acks.append(answer.elapsed)

                started = time.perf_counter()
                await asyncio.gather(*(one(n) for n in range(requests)))
                await emulator.wait_for(
                    lambda e: len(e.messages("C0INCIDENTS")) == requests, timeout=600
                )
                total = time.perf_counter() - started
            await runner.cleanup()
            await container.close()
    acks.sort()
    backend = "PostgreSQL" if database else "SQLite"
    print(f"{backend}: {requests} incidents, {concurrency} at a time")
    print(
        f"  ack latency  p50 {statistics.median(acks) * 1000:.0f} ms, "
        f"p95 {acks[int(len(acks) * 0.95) - 1] * 1000:.0f} ms, max {acks[-1] * 1000:.0f} ms"
    )
    print(f"  all cards posted in {total:.1f} s ({requests / total:.1f} incidents/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database", help="a PostgreSQL admin URL; default: a fresh SQLite file")
    args = parser.parse_args()
    asyncio.run(bench(args.requests, args.concurrency, args.database))


if __name__ == "__main__":
    main()
