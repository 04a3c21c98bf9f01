"""Quiet logs: one line per event, no traceback for an expected outage, outages summarised."""

from __future__ import annotations

import io
import json
import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from slack_bolt.logger.messages import warning_token_skipped

from bot.app import build_container
from bot.clock import FixedClock
from bot.incidents.model import Severity
from bot.logs import FailureSummary, configure_logging
from bot.settings import Environment
from scheduler.duties import Duties
from tests.support.cli import run_cli
from tests.support.config import CHANNELS_YAML, sandbox_config


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


def test_an_outage_is_its_first_failure_then_a_count_every_five_minutes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    summary = FailureSummary(logging.getLogger("test"), "Slack", clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="test"):
        for _ in range(60):  # ten minutes of one failure every 10 s
            summary.failed("Connection refused")
            now[0] += 10
        summary.recovered()
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "Slack unreachable: Connection refused",
        "Slack still unreachable: 30 more failures (31 in all); last: Connection refused",
        "Slack answers again after 60 failures",
    ]


def test_json_lines_and_no_bolt_token_warning(restore_logging: object) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    logging.getLogger("slack_bolt.AsyncApp").warning(warning_token_skipped())
    logging.getLogger("apscheduler.executors.default").info("Running job tick")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("bot.test").exception("unexpected")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert {"time", "level", "logger", "message", "exc_info"} <= entry.keys()
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.test"
    assert "RuntimeError: boom" in entry["exc_info"]


async def test_slo_check_with_prometheus_down_prints_its_answer_not_retries(
    database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text(CHANNELS_YAML, encoding="utf-8")
    env = {
        "DATABASE_URL": database_url,
        "SRE_CONFIG": str(config),
        "PROMETHEUS_URL": f"http://127.0.0.1:{_closed_port()}",
        "SLACK_BOT_TOKEN": "",
    }
    code, out, err = await run_cli("slo", "check", env=env)
    assert code == 2
    assert "Retrying" not in err and "urllib3" not in err and "Traceback" not in err
    assert len(err) < 500, err
    assert out.strip()


async def test_slack_down_is_one_line_for_every_post_and_attempt(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(datetime(2026, 10, 14, 1, 0, tzinfo=UTC))
    env = Environment(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=f"http://127.0.0.1:{_closed_port()}/api/",
    )
    container = build_container(env, sandbox_config(), clock=clock)
    assert container.outbox is not None
    try:
        for n in range(3):
            await container.incidents.create(
                title=f"Checkout errors {n}", severity=Severity.SEV3, actor="U0AAA"
            )
        with caplog.at_level(logging.INFO):
            for _ in range(5):  # five passes over three cards, each past its backoff
                await container.outbox.work_due()
                clock.advance(timedelta(minutes=2))
    finally:
        await container.close()
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 1, [r.getMessage() for r in failures]
    assert failures[0].getMessage().startswith("Slack unreachable: could not post card:")
    assert all(record.exc_info is None for record in caplog.records)


async def test_a_duty_failing_every_tick_is_one_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/users.list"

    async def ask_slack(now: datetime) -> object:
        async with aiohttp.ClientSession() as http, http.get(url) as answer:
            return answer.status

    duties = Duties([("sync the on-call user group", ask_slack)])
    start = datetime(2026, 10, 14, 1, 0, tzinfo=UTC)
    with caplog.at_level(logging.INFO):
        for n in range(20):  # ten minutes of 30 s ticks
            outcome = await duties.tick(start + timedelta(seconds=30 * n))
            assert isinstance(outcome["sync the on-call user group"], OSError)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, lines
    assert lines[0].startswith("duty 'sync the on-call user group' failing: failed at")
    assert all(record.exc_info is None for record in caplog.records)
