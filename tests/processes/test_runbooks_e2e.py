"""Runbooks end to end with real processes: the bot, the serving stand-in, the Slack emulator."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.runbooks.probes import PROBE_ACTOR
from sandbox.slack import Message, SlackDriver, SlackEmulator
from storage.db import Database
from tests.processes.conftest import Process, wait_ready
from tests.support.config import sre_yaml
from tests.support.ports import free_port
from tests.support.progress import eventually, had_its_chance, outbox_passed
from tests.support.runs import ended_message, run_ids, run_message, started_run

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

SECRET = "process-secret"
ROLLBACK = "rl_reward_runaway_rollback"
DOWNSHIFT = "qwen_failure_downshift"
# The quiet schedule (tests/support/config.py) with the health probe on, every second.
CONFIG = sre_yaml(
    {
        "oncall": {"weekday": ["U0AAA", "U0BBB", "U0CCC"], "weekend": ["U0DDD", "U0EEE"]},
        "runbooks": {"approvers": ["U0AAA", "U0BBB", "U0DDD"]},
        "schedule": {"tick": "1s", "health_probe_every": "1s", "post_timeout": "3s"},
    }
)


class Standin:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http

    async def fault(self, **change: Any) -> None:
        async with self.http.post(f"{self.url}/_standin/faults", json=change) as answer:
            assert answer.status == 200, await answer.text()

    async def get(self, path: str) -> Any:
        async with self.http.get(self.url + path) as answer:
            return await answer.json()

    async def posts(self, prefix: str = "/admin") -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (
            await self.get(f"/_standin/requests?method=POST&prefix={prefix}")
        )["requests"]
        return entries

    async def admin_requests(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (await self.get("/_standin/requests?prefix=/admin"))[
            "requests"
        ]
        return entries


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[Standin]:
    port = free_port()
    log = (tmp_path / "standin.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.serving",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-traffic",
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:

        async def live() -> bool:
            try:
                async with http.get(f"{url}/health/live") as answer:
                    return answer.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(live, within=60, description="the stand-in to come up")
        yield Standin(url, http)
    process.terminate()
    await process.wait()


@pytest.fixture
def bot_env(process_env: dict[str, str], standin: Standin, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "runbooks.yaml"
    config.write_text(CONFIG)
    return {
        **process_env,
        "SRE_CONFIG": str(config),
        "SERVING_URL": standin.url,
        "PORT": str(free_port()),
    }


async def _ready(bot_env: dict[str, str]) -> str:
    url = f"http://127.0.0.1:{bot_env['PORT']}"
    await wait_ready(url)
    return url


def _waiting_for_approval(emulator: SlackEmulator, run_id: str) -> Message | None:
    """The run's message once it shows its Approve/Deny buttons."""
    message = run_message(emulator, run_id)
    buttons = {b.action_id for b in emulator.buttons(message.channel, message.ts)}
    return message if {"runbook_approve", "runbook_deny"} <= buttons else None


async def _rollback_waiting(emulator: SlackEmulator, db: Database, requester: str) -> Message:
    """The rollback ``requester`` started, once its message asks for approval."""
    run_id = await started_run(db, runbook=ROLLBACK, requester=requester)
    return await emulator.wait_for(lambda e: _waiting_for_approval(e, run_id), timeout=20)


async def _answer(emulator: SlackEmulator, response_url: str) -> str:
    posts = await emulator.wait_for(lambda e: e.responses(response_url), description="a reply")
    return str(posts[0].body)


async def test_qwen_down_is_downshifted_with_an_incident_and_a_page(
    bot_env: dict[str, str],
    emulator: SlackEmulator,
    standin: Standin,
    start: Callable[..., Any],
    db: Database,
) -> None:
    await start("bot", "serve", "--with-scheduler", env=bot_env)
    url = await _ready(bot_env)
    await standin.fault(model_down="qwen")
    run_id = await started_run(db, runbook=DOWNSHIFT, requester=PROBE_ACTOR, within=40)
    message = await emulator.wait_for(
        lambda e: ended_message(e, run_id),
        timeout=40,
        description="the downshift run to end",
    )
    assert message.channel == "C0ONCALL" and message.text.endswith("succeeded"), message.text
    routing = await standin.get("/admin/routing")
    breakers = await standin.get("/admin/circuit-breaker")
    assert routing["routing"]["creative"] == "balanced"
    assert breakers["breakers"]["qwen"] == "open"
    # The on-call engineer was paged in the run's thread.
    await emulator.wait_for(
        lambda e: "<@U0" in " ".join(r.text for r in e.replies("C0ONCALL", message.ts)),
        description="the page in the run's thread",
    )
    cards = await emulator.wait_for(
        lambda e: [c for c in e.messages("C0INCIDENTS") if run_id in str(c.blocks)],
        description="the incident card naming the run that opened it",
    )
    assert (
        len(cards) == 1
        and "Qwen LLM failure" in str(cards[0].blocks)
        and "Sev2" in str(cards[0].blocks)
    )
    # Not started again while the downshift is in place: four more probes, as many failures.
    await had_its_chance(url, ticks=4)
    assert await run_ids(db, runbook=DOWNSHIFT) == [run_id]
    assert len([p for p in await standin.posts() if p["path"] == "/admin/routing"]) == 1


async def test_rollback_approval_rules_and_exactly_once(
    bot_env: dict[str, str],
    emulator: SlackEmulator,
    standin: Standin,
    start: Callable[..., Any],
    db: Database,
) -> None:
    await start("bot", "serve", "--with-scheduler", env=bot_env)
    url = await _ready(bot_env)
    await standin.fault(reward_runaway=True)
    async with SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) as slack:
        await slack.slash("/runbook", f"run {ROLLBACK}", user="U0AAA", channel="C0ONCALL")
        message = await _rollback_waiting(emulator, db, "U0AAA")
        own = await slack.click(
            channel="C0ONCALL", ts=message.ts, action_id="runbook_approve", user="U0AAA"
        )
        assert "<@U0AAA> started RUN-" in await _answer(emulator, own.response_url)
        assert "cannot approve it; ask another approver: <@U0BBB>, <@U0DDD>" in await _answer(
            emulator, own.response_url
        )
        outsider = await slack.click(
            channel="C0ONCALL", ts=message.ts, action_id="runbook_approve", user="U0CCC"
        )
        assert "<@U0CCC> may not approve" in await _answer(emulator, outsider.response_url)
        assert await standin.posts("/admin/rl/rollback") == []
        clicks = await asyncio.gather(
            *(
                slack.click(
                    channel="C0ONCALL", ts=message.ts, action_id="runbook_approve", user="U0BBB"
                )
                for _ in range(2)
            )
        )
        assert all(c.status == 200 for c in clicks)
        run_id = await started_run(db, runbook=ROLLBACK, requester="U0AAA")
        await emulator.wait_for(lambda e: "succeeded" in run_message(e, run_id).text, timeout=20)
    rollbacks = await standin.posts("/admin/rl/rollback")
    assert len(rollbacks) == 1
    checkpoints = await standin.get("/admin/rl/checkpoints")
    assert checkpoints["current"] == rollbacks[0]["json"]["checkpoint"]


async def test_deny_ends_the_run_with_no_call_and_dry_run_changes_nothing(
    bot_env: dict[str, str],
    emulator: SlackEmulator,
    standin: Standin,
    start: Callable[..., Any],
    db: Database,
) -> None:
    await start("bot", "serve", env=bot_env)
    url = await _ready(bot_env)
    await standin.fault(reward_runaway=True)
    async with SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) as slack:
        for name in (DOWNSHIFT, ROLLBACK, "api_high_latency_scaleup"):
            await slack.slash(
                "/runbook", f"run {name} --dry-run", user="U0CCC", channel="C0GENERAL"
            )
            dry_id = await started_run(db, runbook=name, requester="U0CCC", dry_run=True)
            dry = await emulator.wait_for(lambda e, r=dry_id: ended_message(e, r), timeout=20)
            assert dry.channel == "C0GENERAL"
            assert dry.text.endswith(": succeeded") or name == "api_high_latency_scaleup", dry.text
            # Every change the run would make is shown as its exact call.
            assert "POST" in str(dry.blocks) or name == "api_high_latency_scaleup"
        assert await standin.posts() == []  # not one change reached the serving process
        await slack.slash("/runbook", f"run {ROLLBACK}", user="U0AAA", channel="C0ONCALL")
        message = await _rollback_waiting(emulator, db, "U0AAA")
        await slack.click(channel="C0ONCALL", ts=message.ts, action_id="runbook_deny", user="U0DDD")
        run_id = await started_run(db, runbook=ROLLBACK, requester="U0AAA")
        await emulator.wait_for(lambda e: "rejected" in run_message(e, run_id).text, timeout=10)
    assert await standin.posts() == []


async def test_a_restart_keeps_the_approval_and_a_crash_mid_action_needs_a_person(
    bot_env: dict[str, str],
    emulator: SlackEmulator,
    standin: Standin,
    start: Callable[..., Any],
    db: Database,
) -> None:
    first: Process = await start("bot-1", "serve", "--with-scheduler", env=bot_env)
    url = await _ready(bot_env)
    await standin.fault(reward_runaway=True)
    async with SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) as slack:
        await slack.slash("/runbook", f"run {ROLLBACK}", user="U0AAA", channel="C0ONCALL")
        message = await _rollback_waiting(emulator, db, "U0AAA")
    run_id = await started_run(db, runbook=ROLLBACK, requester="U0AAA")
    first.kill()
    await first.process.wait()
    second: Process = await start("bot-2", "serve", "--with-scheduler", env=bot_env)
    url = await _ready(bot_env)
    await standin.fault(hang_seconds=30, route="/admin/rl/rollback")
    async with SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) as slack:
        await slack.click(
            channel="C0ONCALL", ts=message.ts, action_id="runbook_approve", user="U0BBB"
        )
        await eventually(
            lambda: standin.posts("/admin/rl/rollback"),
            within=60,
            description="the rollback call reaching the serving process",
        )
    assert len(await standin.posts("/admin/rl/rollback")) == 1  # the approval still worked
    second.kill()  # inside the action: nobody knows whether the rollback happened
    await second.process.wait()
    await start("bot-3", "serve", "--with-scheduler", env=bot_env)
    url = await _ready(bot_env)
    await emulator.wait_for(lambda e: "needs attention" in run_message(e, run_id).text, timeout=30)
    buttons = [b.action_id for b in emulator.buttons("C0ONCALL", message.ts)]
    assert "runbook_resume_applied" in buttons and "runbook_resume_resend" in buttons
    await had_its_chance(url, ticks=2)  # each tick recovers interrupted runs
    assert len(await standin.posts("/admin/rl/rollback")) == 1  # not repeated without a person


async def test_two_runs_at_once_and_bad_input(
    bot_env: dict[str, str],
    emulator: SlackEmulator,
    standin: Standin,
    start: Callable[..., Any],
    db: Database,
) -> None:
    await start("bot", "serve", env=bot_env)
    url = await _ready(bot_env)
    await standin.fault(reward_runaway=True)
    async with SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) as slack:
        answers = await asyncio.gather(
            *(
                slack.slash("/runbook", f"run {ROLLBACK}", user=u, channel="C0ONCALL")
                for u in ("U0AAA", "U0BBB")
            )
        )
        refusals = await emulator.wait_for(
            lambda e: [r for a in answers for r in e.responses(a.response_url)], timeout=20
        )
        assert len(refusals) == 1 and "already" in str(refusals[0].body).lower()
        await outbox_passed(url)  # a second run's message would be owed, and now posted
        (run_id,) = await run_ids(db, runbook=ROLLBACK)  # one run, one message
        assert len(emulator.messages("C0ONCALL")) == 1
        assert run_message(emulator, run_id).channel == "C0ONCALL"
        for text, expected in (
            ("run no_such_runbook", "no_such_runbook"),
            ("status RUN-20990101-000000", "RUN-20990101-000000"),
            ("cancel nonsense", "nonsense"),
            ("juggle", "Unknown subcommand"),
        ):
            answer = await slack.slash("/runbook", text, user="U0AAA", channel="C0ONCALL")
            assert expected in await _answer(emulator, answer.response_url)
        answer = await slack.slash("/runbook", f"cancel {run_id}", user="U0AAA", channel="C0ONCALL")
        assert "cancelled" in await _answer(emulator, answer.response_url)
        again = await slack.slash("/runbook", f"cancel {run_id}", user="U0AAA", channel="C0ONCALL")
        assert "already" in (await _answer(emulator, again.response_url)).lower()
    assert await standin.posts() == []
