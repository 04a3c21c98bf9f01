"""Real processes: the bot and its schedulers started as a person starts them, each on a
clock the test chose (``--clock-start``), never on the day the suite happens to run."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import RunningClock
from sandbox.slack import SlackEmulator
from tests.conftest import fresh_postgres_database
from tests.support.clock import QUIET_START
from tests.support.config import sre_yaml
from tests.support.progress import wait_ready

ROOT = Path(__file__).resolve().parents[2]

# The quiet schedule (tests/support/config.py) with short intervals: chasing every second.
FAST_POLICY = {
    "incidents": {"ack_reminder_every": "2s", "severities": {"sev4": {"respond_within": "4h"}}},
    "oncall": {"weekday": ["U0AAA", "U0BBB", "U0CCC"], "weekend": ["U0DDD", "U0EEE"]},
    "schedule": {"tick": "1s", "leader_ttl": "3s", "post_timeout": "3s"},
}
FAST_CONFIG = sre_yaml(FAST_POLICY)
CLOCKED_COMMANDS = ("serve", "worker", "scheduler")


@dataclass(frozen=True)
class ProcessClock:
    """One test's clock: it read ``start`` at the wall instant ``anchor`` and runs at real
    speed. Every process started with ``args()`` and every ``clock()`` reads the same time."""

    start: datetime
    anchor: datetime

    def args(self) -> list[str]:
        return ["--clock-start", self.start.isoformat(), "--clock-anchor", self.anchor.isoformat()]

    def clock(self) -> RunningClock:
        return RunningClock(self.start, anchor=self.anchor)


@pytest.fixture
def process_clock() -> ProcessClock:
    """The clock of this test's processes: it reads ``QUIET_START`` now."""
    return ProcessClock(start=QUIET_START, anchor=datetime.now(UTC))


@dataclass
class Process:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path
    _log: object = field(default=None, repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye, as a crashed machine."""
        self.process.send_signal(signal.SIGKILL)

    async def stop(self, *, within: float = 10) -> None:
        """SIGTERM, and SIGKILL if it has not exited ``within`` seconds."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), within)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as running:
        yield running


@pytest.fixture
def process_env(database_url: str, tmp_path: Path, emulator: SlackEmulator) -> dict[str, str]:
    return bot_env(emulator, database_url, tmp_path)


@pytest.fixture
def worker_env(emulator: SlackEmulator, tmp_path: Path) -> Iterator[dict[str, str]]:
    """``process_env`` on a PostgreSQL database of its own, whatever TEST_DATABASE says:
    ``python -m bot worker`` shares its queue with the doors there, and refuses SQLite."""
    with fresh_postgres_database("artisan_workers") as url:
        yield bot_env(emulator, url, tmp_path)


def bot_env(emulator: SlackEmulator, database_url: str, tmp_path: Path) -> dict[str, str]:
    """What ``python -m bot serve`` is started with: the emulator, ``FAST_CONFIG``, no Redis."""
    config = tmp_path / "sre.yaml"
    config.write_text(FAST_CONFIG)
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SRE_CONFIG": str(config),
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": "process-secret",
        "SLACK_API_URL": emulator.api_url,
        "SLACK_APP_TOKEN": "",
        "REDIS_URL": "",
        "PROMETHEUS_URL": "",
    }


@pytest.fixture
async def start(
    tmp_path: Path, process_clock: ProcessClock
) -> AsyncIterator[Callable[..., object]]:
    started: list[Process] = []

    async def _start(
        name: str, *args: str, env: dict[str, str], at: datetime | None = None
    ) -> Process:
        """``python -m bot <args>`` from the repository's root; ``serve`` and ``scheduler``
        on the test's clock, or on one that reads ``at`` now (a restart later in time)."""
        if any(command in args for command in CLOCKED_COMMANDS):
            clock = process_clock if at is None else ProcessClock(at, datetime.now(UTC))
            args = (*args, *clock.args())
        log_path = tmp_path / f"{name}.log"
        log = log_path.open("ab")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env=env, stdout=log, stderr=log, cwd=ROOT
        )
        handle = Process(name=name, process=process, log_path=log_path, _log=log)
        started.append(handle)
        return handle

    yield _start
    for handle in started:
        await handle.stop()


__all__ = ["Process", "ProcessClock", "bot_env", "wait_ready"]
