"""Redis unreachable: one scheduler still leads, by the database lease (the only way
leadership is decided, whatever Redis is configured).

Two schedulers reach Redis through a TCP proxy that is cut. Reminders must keep going out,
each once, posted by one of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from sandbox.slack import SlackEmulator
from tests.processes.conftest import Process, ProcessClock
from tests.processes.test_restart_and_failover import (
    _assert_each_post_once,
    _declare,
    _reminders,
    _settled_posts,
)
from tests.support.proxy import TcpProxy, proxy_to


@pytest.fixture
async def redis_proxy() -> AsyncIterator[TcpProxy]:
    async with proxy_to("127.0.0.1", 6379) as running:
        yield running


async def test_with_redis_unreachable_one_scheduler_leads_by_the_database(
    worker_env: dict[str, str],
    emulator: SlackEmulator,
    start: Callable[..., Any],
    redis_proxy: TcpProxy,
    process_clock: ProcessClock,
) -> None:
    redis_proxy.cut()
    # Database 11: the leader key of these schedulers is theirs alone, whatever runs beside.
    env = {**worker_env, "REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/11"}
    schedulers: list[Process] = [
        await start("scheduler-a", "worker", env=env),
        await start("scheduler-b", "worker", env=env),
    ]
    declared = await _declare(worker_env, emulator, 2, process_clock.clock())

    await emulator.wait_for(
        lambda e: len(_reminders(e, declared)) >= 4, timeout=30, description="reminders"
    )

    posts = await _settled_posts(worker_env["DATABASE_URL"])
    logs = [p.log() for p in schedulers]
    for scheduler in schedulers:
        await scheduler.stop()
    leaders = [log for log in logs if "owed reminder" in log]
    assert len(leaders) == 1, "exactly one scheduler decides what is owed"
    assert "is now leader" in leaders[0]
    _assert_each_post_once(emulator, posts)
