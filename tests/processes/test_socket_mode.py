"""Socket Mode with Slack unreachable at start: the bot does its duties anyway, says on
/health/ready that Slack is not connected, logs the outage once, and connects (and answers
a slash command over the socket) as soon as Slack lets it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from sandbox.slack import SlackEmulator
from tests.processes.conftest import FAST_POLICY, wait_ready
from tests.support.config import sre_yaml
from tests.support.ports import free_port
from tests.support.progress import eventually

# A second before the Friday 17:00 handoff: the scheduler owes a post at once.
FRIDAY_BEFORE_HANDOFF = datetime(2026, 12, 11, 16, 59, 59, tzinfo=ZoneInfo("Asia/Seoul"))
OPEN = "apps.connections.open"
OUTAGE_LINE = "Slack's Socket Mode unreachable"


async def _readiness(url: str) -> tuple[int, list[str]]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/health/ready") as answer:
        return answer.status, (await answer.json()).get("problems", [])


async def _not_ready_for_slack(url: str) -> bool:
    """True once /health/ready answers 503 naming Slack; False while the port is not open."""
    try:
        status, problems = await _readiness(url)
    except aiohttp.ClientError:
        return False
    return status == 503 and "Slack not connected" in problems


def _handoff_posted(emulator: SlackEmulator) -> bool:
    return any(
        str(((m.metadata or {}).get("event_payload") or {}).get("key", "")).startswith("handoff")
        for channel in emulator.channels
        for m in emulator.messages(channel)
    )


@pytest.fixture
def socket_env(
    process_env: dict[str, str], emulator: SlackEmulator, tmp_path: Path
) -> dict[str, str]:
    """``serve`` in Socket Mode against the emulator, the handoff message on."""
    config = tmp_path / "socket.yaml"
    schedule = {**cast(dict[str, Any], FAST_POLICY["schedule"]), "handoff_message": True}
    config.write_text(sre_yaml({**FAST_POLICY, "schedule": schedule}))
    return {
        **process_env,
        "SLACK_APP_TOKEN": emulator.app_token,
        "SLACK_SIGNING_SECRET": "",
        "SRE_CONFIG": str(config),
        "PORT": str(free_port()),
    }


async def test_duties_run_while_slack_refuses_the_socket_and_it_connects_when_let(
    socket_env: dict[str, str], emulator: SlackEmulator, start: Callable[..., Any]
) -> None:
    emulator.fail_until_lifted(OPEN)
    bot = await start("bot", "serve", "--with-scheduler", env=socket_env, at=FRIDAY_BEFORE_HANDOFF)
    url = f"http://127.0.0.1:{socket_env['PORT']}"

    # The load balancer hears why; the on-call still gets the handoff, over the Web API.
    await eventually(lambda: _not_ready_for_slack(url), within=60, description="503 naming Slack")
    await emulator.wait_for(_handoff_posted, timeout=60, description="the handoff posted")
    # Three refused attempts (1 s, 2 s apart), logged as one line without a traceback.
    await emulator.wait_for(lambda e: len(e.calls_to(OPEN)) >= 3, timeout=60)
    assert await _not_ready_for_slack(url)
    log = bot.log()
    assert log.count(OUTAGE_LINE) == 1, log
    assert "apps.connections.open answered internal_error" in log
    assert "Traceback" not in log, log
    assert emulator.sockets_open == 0

    emulator.lift(OPEN)
    await wait_ready(url)
    await emulator.wait_for(lambda e: e.sockets_open == 1, description="one connection")
    ack = await emulator.slash_over_socket("/oncall", "help", user="U0AAA")
    assert ack.payload == {}  # acked at once over the socket, answered after
    (reply,) = await emulator.wait_for(lambda e: e.responses(ack.response_url))
    assert "`/oncall " in json.dumps(reply.body, ensure_ascii=False)
    assert "Slack's Socket Mode answers again after" in bot.log()

    # Slack goes away again: not ready until the bot is back, on a new connection.
    emulator.fail_until_lifted(OPEN)
    await emulator.drop_sockets()
    await eventually(lambda: _not_ready_for_slack(url), within=60, description="503 after the drop")
    emulator.lift(OPEN)
    await wait_ready(url)
    ack = await emulator.slash_over_socket("/oncall", "help", user="U0BBB")
    await emulator.wait_for(lambda e: e.responses(ack.response_url))
    assert "Traceback" not in bot.log(), bot.log()


async def test_with_slack_up_the_bot_connects_at_once_and_says_so(
    socket_env: dict[str, str], emulator: SlackEmulator, start: Callable[..., Any]
) -> None:
    bot = await start("bot", "serve", env=socket_env)
    await wait_ready(f"http://127.0.0.1:{socket_env['PORT']}")
    ack = await emulator.slash_over_socket("/oncall", "help", user="U0AAA")
    await emulator.wait_for(lambda e: e.responses(ack.response_url))
    log = bot.log()
    assert log.count("connected to Slack in Socket Mode") == 1, log
    assert OUTAGE_LINE not in log and "Traceback" not in log, log


async def test_a_stop_while_a_connection_attempt_hangs_ends_the_process_cleanly(
    socket_env: dict[str, str], emulator: SlackEmulator, start: Callable[..., Any]
) -> None:
    """SIGTERM does not wait for Slack: the process exits on its own (0), long before the
    hang would have let the attempt go on and before the fixture's SIGKILL."""
    emulator.hang(3600)
    bot = await start("bot", "serve", env=socket_env)
    await emulator.wait_for(lambda e: e.held_in_hang, timeout=60, description="an attempt held")
    await bot.stop()
    assert bot.process.returncode == 0, bot.log()
    assert "Traceback" not in bot.log(), bot.log()
