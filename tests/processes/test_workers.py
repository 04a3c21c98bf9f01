"""``serve --workers 2``: two web processes on one port, as an operator runs it on PostgreSQL.

Always on PostgreSQL (its own database, whatever TEST_DATABASE says): several workers on SQLite
are refused, which the last test shows.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.workers import STOP_WITHIN
from sandbox.slack import SlackDriver, SlackEmulator
from tests.conftest import fresh_postgres_database
from tests.processes.conftest import Process, bot_env, wait_ready
from tests.support.cli import invoke
from tests.support.kills import split_failover
from tests.support.ports import free_port

CREATES = 60


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database("artisan_workers") as url:
        yield url


def _env(emulator: SlackEmulator, database_url: str, tmp_path: Path, port: int) -> dict[str, str]:
    return {**bot_env(emulator, database_url, tmp_path), "PORT": str(port)}


async def _workers_listening(service: Process, count: int) -> dict[int, int]:
    """{worker index: pid} once ``count`` workers said they listen (the newest pid of each)."""
    for _ in range(600):
        found = dict(
            (int(index), int(pid))
            for index, pid in re.findall(r"\(worker (\d+), pid (\d+)\)", service.log())
        )
        if len(found) == count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"not {count} workers listening:\n{service.log()}")


def _alive(pid: int) -> bool:
    """Neither gone nor a zombie (a zombie holds no sockets)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


async def _commands_counted(url: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as answer:
        text = await answer.text()
    match = re.search(r'^artisan_sre_slack_requests_total\{kind="command"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_two_workers_share_the_port_and_post_each_card_once(
    emulator: SlackEmulator,
    postgres_url: str,
    tmp_path: Path,
    start: Callable[..., Any],
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(emulator, postgres_url, tmp_path, port)
    service: Process = await start("workers", "serve", "--workers", "2", env=env)
    await wait_ready(url)
    pids = await _workers_listening(service, 2)

    async with SlackDriver(
        app_url=url, signing_secret="process-secret", emulator=emulator
    ) as slack:
        answers = await asyncio.gather(
            *(
                slack.slash("/incident", f"create sev3 worker load {n}", user="U0AAA")
                for n in range(CREATES)
            )
        )
        assert [a.status for a in answers] == [200] * CREATES
        await emulator.wait_for(
            lambda e: len(e.messages("C0INCIDENTS")) == CREATES and len(e.responses()) == CREATES,
            timeout=60,
        )
        # Whichever worker answers the scrape counts every worker's requests.
        assert await _commands_counted(url) == CREATES

        # One worker dies: the other keeps answering, and the dead one is started again.
        pid_before = pids[1]
        os.kill(pid_before, signal.SIGKILL)
        # A connection the kernel queued on the dying worker is reset (Slack retries those);
        # once it is gone, its port is the survivor's alone, for Slack's next connection.
        for _ in range(500):
            if not _alive(pid_before):
                break
            await asyncio.sleep(0.02)
        await slack.close()
        answer = await slack.slash("/incident", "create sev3 after a worker died", user="U0AAA")
        assert answer.status == 200
        for _ in range(300):
            if "worker 1 exited" in service.log() and (
                (await _workers_listening(service, 2))[1] != pid_before
            ):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"worker 1 was not started again:\n{service.log()}")
        await wait_ready(url)
        await emulator.wait_for(lambda e: len(e.messages("C0INCIDENTS")) == CREATES + 1, timeout=60)

    titles = Counter(m.text for m in emulator.messages("C0INCIDENTS"))
    assert len(titles) == CREATES + 1 and set(titles.values()) == {1}
    # The scheduler runs in worker 0 only: one chase, not one per worker.
    assert service.log().count("scheduler started") == 1
    # Each worker may take its scheduler tick's 5 s and more under a loaded machine (61
    # reminders are being owed by now); the supervisor's own bound is what a clean stop has.
    await service.stop(within=STOP_WITHIN)
    assert service.process.returncode == 0, service.log()
    assert "Traceback" not in service.log(), service.log()
    assert emulator.violations == []


async def test_several_workers_on_sqlite_are_refused(
    emulator: SlackEmulator, tmp_path: Path, start: Callable[..., Any]
) -> None:
    env = _env(emulator, f"sqlite:///{tmp_path / 'one-writer.db'}", tmp_path, free_port())
    refused: Process = await start("refused", "serve", "--workers", "2", env=env)
    assert await asyncio.wait_for(refused.process.wait(), timeout=30) == 2
    assert "--workers 2 needs PostgreSQL" in refused.log()
    assert not (tmp_path / "one-writer.db").exists()  # nothing was started or created


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (("serve", "--web-only"), "serve --web-only needs PostgreSQL"),
        (("worker",), "python -m bot worker needs PostgreSQL"),
        (("scheduler",), "python -m bot scheduler needs PostgreSQL"),
    ],
)
async def test_the_web_and_worker_split_on_sqlite_is_refused(
    emulator: SlackEmulator, tmp_path: Path, args: tuple[str, ...], refusal: str
) -> None:
    env = _env(emulator, f"sqlite:///{tmp_path / 'one-writer.db'}", tmp_path, free_port())
    code, _, err = await invoke(*args, env=env)
    assert code == 2, err
    assert refusal in err and "`python -m bot serve` verifies, stores and does the work" in err
    assert not (tmp_path / "one-writer.db").exists()  # nothing was started or created


async def test_two_doors_and_two_workers_card_every_create_once_through_a_kill_and_a_restart(
    worker_env: dict[str, str], emulator: SlackEmulator, tmp_path: Path
) -> None:
    """The split as the Procfile runs it, on PostgreSQL: creates to both doors, a worker
    SIGKILLed a third of the way in, a door restarted half-way (``bench.kill_creates --split
    1000`` is the long run). Every create Slack heard "got it" for is carded once."""
    outcome = await split_failover(env=worker_env, emulator=emulator, workdir=tmp_path, creates=200)
    assert len(outcome.acked) >= 150, outcome  # only the restarted door's moment may refuse
    assert outcome.lost() == [], outcome
    assert outcome.twice() == [], outcome
