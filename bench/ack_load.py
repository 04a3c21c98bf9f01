"""Ack latency at a steady rate of signed ``/incident create``: the bot beside a bare Bolt app.

Both run as real processes on this machine, in the same run, against the same Slack emulator:
``python -m bench.bare_bolt`` (Bolt on aiohttp, only acks) and the bot, laid out as a team
runs it:

- ``single``: one ``python -m bot serve`` on a fresh SQLite file (the single-machine install);
- ``split``: one ``python -m bot serve --web-only`` and N ``python -m bot worker`` on a fresh
  PostgreSQL database (the Procfile).

Requests go out open-loop (request i at start + i/rate, whether or not earlier ones were
answered) and each latency is counted from when the request was due, so a stalled server
cannot hide its backlog. After each of the bot's phases the bench waits until every card is
in Slack and reads the CPU all the bot's processes used, per create.

    .venv/bin/python -m bench.ack_load --layout single --rates 50 --seconds 20
    .venv/bin/python -m bench.ack_load --layout split --workers 2 --rates 200 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.databases import fresh_database
from sandbox.slack import SlackDriver, SlackEmulator
from tests.support.config import CHANNELS_YAML
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    target: str
    rate: int
    latencies: list[float]
    failed: int
    not_declared: int
    cpu_per_request: float
    done_after: float  # seconds from the first request until every card was in Slack

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


async def _answering(url: str, *, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as answer:
                    if answer.status < 500:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {within:g} s")


async def _steady(
    send: Callable[[int], Awaitable[int]], *, rate: int, seconds: float, first: int
) -> tuple[list[float], int]:
    """Send ``rate``/s for ``seconds``; the latencies from each request's due time."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1
    latencies: list[float] = []
    failed = 0

    async def one(i: int) -> None:
        nonlocal failed
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        status = await send(first + i)
        if status != 200:
            failed += 1
        latencies.append(loop.time() - due)

    await asyncio.gather(*(one(i) for i in range(int(rate * seconds))))
    return latencies, failed


async def _start(argv: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=out, stderr=out, cwd=ROOT
        )


async def bench(
    layout: str, rates: list[int], seconds: float, workers: int, postgres: str
) -> list[Phase]:
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory() as workdir_name:
        workdir = Path(workdir_name)
        admin = postgres if layout == "split" else None
        database = fresh_database(admin, workdir=workdir, name="artisan_bench_load")
        config = workdir / "sre.yaml"
        config.write_text(CHANNELS_YAML)
        async with SlackEmulator() as emulator:
            bot_port, bare_port = free_port(), free_port()
            env = {
                **os.environ,
                "DATABASE_URL": database,
                "SRE_CONFIG": str(config),
                "SLACK_BOT_TOKEN": emulator.bot_token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": emulator.api_url,
                "SLACK_APP_TOKEN": "",
                "REDIS_URL": "",
                "PROMETHEUS_URL": "",
                "PORT": str(bot_port),
                "LOG_LEVEL": "WARNING",
            }
            bot = [sys.executable, "-m", "bot"]
            commands = [[*bot, "serve"]]
            if layout == "split":
                commands = [[*bot, "serve", "--web-only"]] + [[*bot, "worker"]] * workers
            processes = [
                await _start(argv, env, workdir / f"bot-{n}.log") for n, argv in enumerate(commands)
            ]
            bare = await _start(
                [
                    sys.executable,
                    "-m",
                    "bench.bare_bolt",
                    "--port",
                    str(bare_port),
                    "--api-url",
                    emulator.api_url,
                    "--signing-secret",
                    SECRET,
                    "--token",
                    emulator.bot_token,
                ],
                env,
                workdir / "bare.log",
            )
            try:
                print(f"starting the bot ({layout}) and the bare app", file=sys.stderr)
                await _answering(f"http://127.0.0.1:{bot_port}/health/ready")
                await _answering(f"http://127.0.0.1:{bare_port}/")
                phases = await _run_phases(
                    emulator,
                    {
                        "bare Bolt": (bare_port, [bare.pid]),
                        "bot": (bot_port, [p.pid for p in processes]),
                    },
                    rates=rates,
                    seconds=seconds,
                )
            finally:
                for process in (*processes, bare):
                    process.terminate()
                    await process.wait()
    return phases


async def _run_phases(
    emulator: SlackEmulator,
    targets: dict[str, tuple[int, list[int]]],
    *,
    rates: list[int],
    seconds: float,
) -> list[Phase]:
    phases: list[Phase] = []
    sent = 0
    drivers = {
        name: SlackDriver(
            app_url=f"http://127.0.0.1:{port}", signing_secret=SECRET, emulator=emulator
        )
        for name, (port, _) in targets.items()
    }
    try:
        for rate in [5, *rates]:  # 5/s first: a warm-up, not reported
            for name, (_, pids) in targets.items():
                driver = drivers[name]

                asked: list[str] = []

                async def send(
                    n: int, driver: SlackDriver = driver, asked: list[str] = asked
                ) -> int:
                    answer = await driver.slash("/incident", f"create sev4 load {n}", user="U0AAA")
                    if answer.status == 200 and answer.response_url:
                        asked.append(answer.response_url)
                    return answer.status

                cards_before = len(emulator.messages("C0INCIDENTS"))
                cpu_before = _cpu_seconds(pids)
                span = 2.0 if rate == 5 else seconds
                print(f"{name}: {rate}/s for {span:g} s", file=sys.stderr, flush=True)
                began = time.monotonic()
                latencies, failed = await _steady(send, rate=rate, seconds=span, first=sent)
                sent += len(latencies)
                not_declared = 0
                if name == "bot":
                    not_declared = await _declared_or_not(emulator, asked, cards_before)
                done_after = time.monotonic() - began
                cpu = _cpu_seconds(pids) - cpu_before
                if rate != 5:
                    phases.append(
                        Phase(
                            name,
                            rate,
                            latencies,
                            failed,
                            not_declared,
                            cpu / len(latencies),
                            done_after,
                        )
                    )
                await asyncio.sleep(1)  # let the machine settle between phases
    finally:
        for driver in drivers.values():
            await driver.close()
    return phases


async def _declared_or_not(emulator: SlackEmulator, asked: list[str], cards_before: int) -> int:
    """Wait for every reporter's answer and every declared incident's card; how many
    reporters were not told "Declared" (a failure, or no answer within 5 minutes)."""

    def answered(e: SlackEmulator) -> bool:
        urls = {r.url for r in e.responses()}
        return all(url in urls for url in asked)

    # Polled twice a second: the emulator serves the bot from this process's event loop.
    with contextlib.suppress(AssertionError, TimeoutError):  # the unanswered are counted
        await emulator.wait_for(answered, timeout=300, interval=0.5)
    told = {r.url for r in emulator.responses() if "Declared" in str(r.body)}
    declared = sum(1 for url in asked if url in told)
    want = cards_before + declared
    await emulator.wait_for(
        lambda e: len(e.messages("C0INCIDENTS")) >= want, timeout=300, interval=0.5
    )
    return len(asked) - declared


def _table(phases: list[Phase]) -> str:
    bare = {p.rate: p for p in phases if p.target == "bare Bolt"}
    lines = [
        "| rate | bare Bolt p50 / p99 | bot p50 / p99 | bot p99 ÷ bare p99 "
        "| CPU per request: bare / bot | creates not declared | all cards in Slack after |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for phase in (p for p in phases if p.target == "bot"):
        base = bare[phase.rate]
        ms = 1000
        lines.append(
            f"| {phase.rate}/s | {base.percentile(0.5) * ms:.1f} / {base.percentile(0.99) * ms:.1f}"
            f" ms | {phase.percentile(0.5) * ms:.1f} / {phase.percentile(0.99) * ms:.1f} ms"
            f" | {phase.percentile(0.99) / base.percentile(0.99):.1f}×"
            f" | {base.cpu_per_request * ms:.1f} / {phase.cpu_per_request * ms:.1f} ms"
            f" | {phase.not_declared} of {len(phase.latencies)}"
            f" | {phase.done_after:.1f} s of a {len(phase.latencies) / phase.rate:g} s run |"
        )
    failed = sum(p.failed for p in phases)
    lines.append(f"\n{failed} requests not answered 200.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rates", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--layout", choices=["single", "split"], default="single")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (split)")
    parser.add_argument("--database", default=POSTGRES, help="a PostgreSQL admin URL (split)")
    args = parser.parse_args()
    phases = asyncio.run(bench(args.layout, args.rates, args.seconds, args.workers, args.database))
    print(_table(phases))


if __name__ == "__main__":
    main()
