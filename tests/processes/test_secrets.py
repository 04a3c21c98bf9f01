"""No configured secret is shown or stored anywhere in a full run.

The bot runs with credentials in PROMETHEUS_URL and SERVING_URL and a signing secret, is
sent commands that show those URLs (an unknown SLO's reason, runbooks' planned calls), runs a
real downshift, and is sent a forged request carrying a token. Then every log line, every
Slack call the emulator recorded and every row of every table is searched for the secrets.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.runbooks.probes import PROBE_ACTOR
from sandbox.slack import SlackDriver, SlackEmulator
from storage.db import Database
from tests.processes import test_runbooks_e2e as e2e
from tests.processes.conftest import Process
from tests.processes.test_runbooks_e2e import DOWNSHIFT, SECRET, Standin
from tests.support.ports import free_port
from tests.support.progress import outbox_passed
from tests.support.runs import ended_message, started_run

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

PROMETHEUS_PASSWORD = "prom-pa55word-zq"
SERVING_PASSWORD = "serving-pa55word-zq"
FORGED_TOKEN = "verification-token-zq"
SECRETS = (PROMETHEUS_PASSWORD, SERVING_PASSWORD, FORGED_TOKEN, SECRET)

# The runbook end-to-end tests' stand-in process and bot environment.
standin = e2e.standin
bot_env = e2e.bot_env


async def _ready_within(env: dict[str, str], bot: Process, *, seconds: float) -> str:
    """The bot's URL once /health/ready says 200 (a cold start on a busy machine is slow)."""
    url = f"http://127.0.0.1:{env['PORT']}"
    async with aiohttp.ClientSession() as http:
        for _ in range(int(seconds * 10)):
            try:
                async with http.get(f"{url}/health/ready") as answer:
                    if answer.status == 200:
                        return url
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the bot never became ready:\n{bot.log()[-3000:]}")


async def _every_row(database_url: str) -> str:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            rows = [
                repr(tuple(row))
                for table in SQLModel.metadata.sorted_tables
                for row in (await session.execute(select(table))).all()
            ]
    finally:
        await database.dispose()
    return "\n".join(rows)


async def test_no_secret_in_logs_slack_calls_or_tables(
    bot_env: dict[str, str],
    emulator: SlackEmulator,
    standin: Standin,
    start: Callable[..., Any],
    database_url: str,
    db: Database,
) -> None:
    serving = standin.url.replace("http://", f"http://artisan:{SERVING_PASSWORD}@")
    prometheus = f"http://sre:{PROMETHEUS_PASSWORD}@127.0.0.1:{free_port()}"
    env = {**bot_env, "SERVING_URL": serving, "PROMETHEUS_URL": prometheus, "LOG_LEVEL": "DEBUG"}
    bot: Process = await start("bot", "serve", "--with-scheduler", env=env)
    url = await _ready_within(env, bot, seconds=60)
    async with SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) as slack:
        check = await slack.slash("/slo", "check", user="U0AAA", channel="C0GENERAL")
        answer = await emulator.wait_for(
            lambda e: e.responses(check.response_url), timeout=20, description="/slo check"
        )
        assert "sre:***@127.0.0.1" in str(answer[0].body)  # the reason names the URL, masked
        await slack.slash(
            "/runbook", f"run {DOWNSHIFT} --dry-run", user="U0CCC", channel="C0GENERAL"
        )
        dry_id = await started_run(db, runbook=DOWNSHIFT, requester="U0CCC", dry_run=True)
        dry = await emulator.wait_for(lambda e: ended_message(e, dry_id), timeout=20)
        assert "artisan:***@127.0.0.1" in str(dry.blocks)  # the planned call, masked
    # A real downshift: three failed probes, then the admin calls through the secret URL.
    await standin.fault(model_down="qwen")
    run_id = await started_run(db, runbook=DOWNSHIFT, requester=PROBE_ACTOR, within=40)
    await emulator.wait_for(lambda e: ended_message(e, run_id), timeout=40)
    assert len(await standin.posts()) == 2  # the credentials still reach the serving process
    # A request that fails the signature check, carrying a verification token.
    body = urlencode({"token": FORGED_TOKEN, "command": "/incident", "text": "list"})
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/slack/events",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": "1700000000",
                "X-Slack-Signature": "v0=" + "0" * 64,
            },
        ) as refused,
    ):
        assert refused.status == 401
    await outbox_passed(url)  # whatever the bot owed Slack by now has been sent, or tried
    await bot.stop()

    log = bot.log()
    assert "Slack request refused (401)" in log  # the refusal is logged, its body is not
    recorded = json.dumps(
        [(c.method, c.args) for c in emulator.calls]
        + [(r.url, r.body) for r in emulator.responses()],
        default=str,
    )
    rows = await _every_row(database_url)
    assert "artisan:***@" in rows  # the planned calls are stored, masked
    for secret in SECRETS:
        assert secret not in log, secret
        assert secret not in recorded, secret
        assert secret not in rows, secret
