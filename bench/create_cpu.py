"""How much CPU one ``/incident create`` costs the bot, measured on a real ``serve`` process.

The bot runs as ``python -m bot serve`` in a child process (HTTP, the outbox and, with no
Redis, the scheduler, as a single-machine install runs it) against the Slack emulator and a
fresh database. This process plays Slack: it sends N signed ``/incident create`` with C at a
time and waits until the whole create is done (every card posted and its ts recorded, every
reporter answered, nothing left in the outbox). The bot's CPU is read from
``/proc/<pid>/stat`` (user + system) before and after, so the load generator and the
emulator, which run here, are not counted.

    .venv/bin/python -m bench.create_cpu --requests 500 --concurrency 10
    .venv/bin/python -m bench.create_cpu --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.create_cpu --requests 300 --profile   # where the CPU goes

``--profile`` runs the bot under cProfile (stopped with SIGTERM, so the profile is written)
and prints the top functions by cumulative and by own time; its CPU figures include the
profiler's overhead and are for comparing functions, not for the per-create figure.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text

from bench.databases import fresh_database
from sandbox.slack import SlackDriver, SlackEmulator
from storage.db import sync_url
from tests.support.config import CHANNELS_YAML
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
BENCH_DATABASE = "artisan_cpu_bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The sandbox's channels and the tests' quiet schedule: no drill, digest, handoff or health
# probe starts by itself while the creates run (on the first Monday of a month the drill's
# runs alone cost about as much CPU as the creates), so the figure is the creates' on any day.
POLICY = CHANNELS_YAML


@dataclass(frozen=True)
class Cpu:
    """User and system CPU seconds a process has used so far."""

    user: float
    system: float

    @property
    def total(self) -> float:
        return self.user + self.system

    @classmethod
    def of(cls, pid: int) -> Cpu:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        return cls(user=int(fields[11]) / CLOCK_TICKS, system=int(fields[12]) / CLOCK_TICKS)

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(user=self.user - other.user, system=self.system - other.system)


# ``python -m cProfile -m bot …`` with the event loop thread's CPU time as the clock
# instead of the wall clock, so time spent waiting for the CPU (a busy machine) or for the
# GIL is not charged to whatever function was running. A clean stop (SIGTERM) writes it.
PROFILED = """
import cProfile, runpy, sys, time
path = sys.argv.pop(1)
sys.argv[0] = "bot"
profiler = cProfile.Profile(time.thread_time)
profiler.enable()
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    profiler.disable()
    profiler.dump_stats(path)
"""


def _threads(pid: int) -> str:
    """CPU so far of the event loop's thread and of all the others (database drivers'
    worker threads: aiosqlite runs SQLite in one per connection)."""
    main = Cpu.of(pid).total
    every = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        spent = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        if int(task.name) == pid:
            main = spent
        every += spent
    return f"event loop thread {main:.2f} s, other threads {every - main:.2f} s (since start)"


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-40:])


async def _wait_ready(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise SystemExit(f"the bot exited ({process.returncode}):\n{_tail(log)}")
            try:
                async with http.get(f"{url}/health/ready") as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"the bot was not ready within 60 s:\n{_tail(log)}")


def _pending_posts(url: str) -> int:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT count(*) FROM posts WHERE state = 'pending'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


async def _wait_done(emulator: SlackEmulator, url: str, requests: int) -> None:
    """Every card in the channel, every reporter answered, and the outbox empty (so each
    card's ts and each answer are recorded)."""
    await emulator.wait_for(
        lambda e: len(e.messages("C0INCIDENTS")) >= requests and len(e.responses()) >= requests,
        timeout=600,
        interval=0.05,
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while await asyncio.to_thread(_pending_posts, url):
        if loop.time() > deadline:
            raise SystemExit("posts still pending 60 s after every card was seen")
        await asyncio.sleep(0.05)


def _print_profile(path: Path, top: int) -> None:
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(str(path), stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"\ntop {top} by {order}:")
        print("\n".join(lines[start:]).rstrip())


async def bench(
    *,
    requests: int,
    concurrency: int,
    database: str | None,
    profile: bool,
    top: int,
    keep: Path | None = None,
) -> None:
    with tempfile.TemporaryDirectory() as workdir_name:
        workdir = Path(workdir_name)
        url = fresh_database(database, workdir=workdir, name=BENCH_DATABASE)
        config = workdir / "sre.yaml"
        config.write_text(POLICY)
        log = workdir / "bot.log"
        profile_path = workdir / "bot.prof"
        port = free_port()
        async with SlackEmulator() as emulator:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "SRE_CONFIG": str(config),
                "SLACK_BOT_TOKEN": emulator.bot_token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": emulator.api_url,
                "SLACK_APP_TOKEN": "",
                "REDIS_URL": "",
                "PROMETHEUS_URL": "",
                "PORT": str(port),
            }
            bot = ["-c", PROFILED, str(profile_path)] if profile else ["-m", "bot"]
            with log.open("wb") as log_file:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *bot,
                    *("serve", "--host", "127.0.0.1"),
                    env=env,
                    stdout=log_file,
                    stderr=log_file,
                    cwd=ROOT,
                )
            app_url = f"http://127.0.0.1:{port}"
            try:
                await _wait_ready(app_url, process, log)
                idle_from, idle_started = Cpu.of(process.pid), time.perf_counter()
                await asyncio.sleep(2)
                idle = (Cpu.of(process.pid) - idle_from).total / (
                    time.perf_counter() - idle_started
                )
                async with SlackDriver(
                    app_url=app_url, signing_secret=SECRET, emulator=emulator
                ) as slack:
                    gate = asyncio.Semaphore(concurrency)

                    async def one(n: int) -> None:
                        # A worker's next create waits for this one's answer to the reporter,
                        # so at most C creates are in the bot at once (Bolt acks before the
                        # work, so waiting for the ack alone would pile the work up).
                        async with gate:
                            answer = await slack.slash(
                                "/incident", f"create sev4 bench {n}", user="U0AAA"
                            )
                            assert answer.status == 200, answer.text
                            replies = await emulator.wait_for(
                                lambda e: e.responses(answer.response_url),
                                timeout=60,
                                interval=0.02,
                            )
                            said = str(replies[0].body.get("text", ""))
                            if "Declared" not in said:
                                raise SystemExit(f"create {n} failed: {said}")

                    before, started = Cpu.of(process.pid), time.perf_counter()
                    await asyncio.gather(*(one(n) for n in range(requests)))
                    await _wait_done(emulator, url, requests)
                    used, wall = Cpu.of(process.pid) - before, time.perf_counter() - started
                    threads = _threads(process.pid)
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(process.wait(), 60)
                    except TimeoutError:
                        process.kill()
                        await process.wait()
            if len(emulator.messages("C0INCIDENTS")) != requests:
                raise SystemExit(f"{len(emulator.messages('C0INCIDENTS'))} cards, not {requests}")
            if emulator.violations:
                print("the emulator saw Slack protocol violations:", *emulator.violations[:5])

        backend = "PostgreSQL" if database else "SQLite"
        per_create = used.total / requests * 1000
        idle_share = idle * wall / requests * 1000
        print(
            f"{backend}: {requests} creates, {concurrency} at a time"
            + (" (under cProfile)" if profile else "")
        )
        print(
            f"  bot CPU {used.total:.2f} s (user {used.user:.2f}, system {used.system:.2f}) "
            f"in {wall:.1f} s wall ({requests / wall:.0f} creates/s)"
        )
        print(
            f"  CPU per create {per_create:.2f} ms "
            f"(of which idle work ~{idle_share:.2f} ms: {idle * 1000:.0f} ms/s before the load)"
        )
        print(f"  {threads}")
        if profile:
            if not profile_path.exists():
                raise SystemExit(f"no profile was written; the bot's log:\n{log.read_text()}")
            _print_profile(profile_path, top)
            if keep is not None:
                shutil.copyfile(profile_path, keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--database", help="a PostgreSQL admin URL (the bench creates its own database there)"
    )
    parser.add_argument("--profile", action="store_true", help="run the bot under cProfile")
    parser.add_argument("--top", type=int, default=25, help="functions listed per ordering")
    parser.add_argument("--keep-profile", type=Path, help="where to keep the profile (pstats)")
    args = parser.parse_args()
    asyncio.run(
        bench(
            requests=args.requests,
            concurrency=args.concurrency,
            database=args.database,
            profile=args.profile or args.keep_profile is not None,
            top=args.top,
            keep=args.keep_profile,
        )
    )


if __name__ == "__main__":
    main()
