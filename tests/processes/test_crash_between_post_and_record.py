"""Issue 8: a scheduler killed between a Slack post and its record posts it once in all.

For each kind of scheduled post, a real scheduler process (``python -m bot scheduler
--clock-start`` at the chosen instant, the duty of that kind turned on) finds the database as
an earlier run left it, owes that post on its first tick and sends it. The Slack emulator
SIGKILLs the process inside that ``chat.postMessage``, after the message is in the channel
and before the bot hears the answer, so the bot never records it. A second process starts
on the same timeline and must find the message by its key and record it, neither owing nor
posting it again. The reminder's restart comes at once and waits out the dead process's
15 s lease; the others' restart once that lease has run out (their clock starts there, as
when a machine takes a while to come back), so the suite does not wait 15 s per case.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Container, build_container
from bot.clock import FixedClock
from bot.incidents.model import Severity
from bot.oncall.hours import Pool
from bot.outbox.owing import record
from bot.serving.models import Mode
from bot.settings import Environment, SreConfig, load_config
from bot.slo.budget import SloStatus
from bot.slo.duties import STATUS_KEY
from bot.slo.evaluation import SloResult
from bot.slo.posts import SloStatusNotice
from sandbox.serving.standin import create_standin_app
from sandbox.slack import SlackEmulator
from sandbox.slack.records import Message, RecordedCall
from storage import outbox
from storage.db import Database
from storage.tables import PostRow
from tests.processes.conftest import Process
from tests.slo.history import END_AT
from tests.support.config import sre_yaml
from tests.support.servers import serving

SETTLE_WITHIN = 30.0  # seconds for the restarted process to record what it owes

# Wednesday 10:00 in Seoul (working hours: the weekday pool is paged); a Sev1 opened then
# is owed its first reminder and its first escalation 15 minutes later.
OPENED = datetime(2026, 10, 14, 1, 0, tzinfo=UTC)
# Friday 17:00 in Seoul: the weekly handoff.
HANDOFF = datetime(2026, 10, 16, 8, 0, tzinfo=UTC)
# The first Monday of November 2026, 10:00 in Seoul: the monthly drill.
DRILL = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

POLICY: dict[str, Any] = {
    "oncall": {"weekday": ["U0AAA", "U0BBB", "U0CCC"], "weekend": ["U0DDD", "U0EEE"]},
    # Quiet (tests/support/config.py) but for the one duty a case turns on: each tick owes
    # only that case's posts.
    "schedule": {"tick": "1s", "post_timeout": "3s"},
}


@dataclass
class Scene:
    """The world one case runs in: the processes' environment, Slack, the serving stand-in."""

    env: dict[str, str]
    config: SreConfig
    emulator: SlackEmulator

    @asynccontextmanager
    async def bot_at(self, instant: datetime) -> AsyncIterator[Container]:
        """The bot as an earlier run used it at ``instant`` (its deliverer not running)."""
        environment = Environment(
            SLACK_BOT_TOKEN=self.env["SLACK_BOT_TOKEN"],
            SLACK_API_URL=self.env["SLACK_API_URL"],
            DATABASE_URL=self.env["DATABASE_URL"],
            SERVING_URL=self.env["SERVING_URL"],
        )
        container = build_container(
            environment,
            self.config,
            clock=FixedClock(instant),
            db=Database(environment.DATABASE_URL),
        )
        try:
            yield container
        finally:
            await container.close()


async def _sent(bot: Container) -> None:
    """What the earlier run owed went out, as its deliverer would have sent it."""
    assert bot.outbox is not None
    await bot.outbox.drain(within=10)


# ---- what an earlier run left behind, per kind ------------------------------------------


async def _sev1_with_its_card_out(scene: Scene) -> None:
    await _opened_with_its_card_out(scene, Severity.SEV1)


async def _sev2_with_its_card_out(scene: Scene) -> None:
    """A Sev2's 15-minute reminder is not said by an escalation (due at 30 minutes)."""
    await _opened_with_its_card_out(scene, Severity.SEV2)


async def _opened_with_its_card_out(scene: Scene, severity: Severity) -> None:
    async with scene.bot_at(OPENED) as bot:
        await bot.incidents.create(title="Checkout answers 502", severity=severity, actor="U0AAA")
        await _sent(bot)
    assert len(scene.emulator.messages("C0INCIDENTS")) == 1


async def _nothing(scene: Scene) -> None:
    return None


async def _handoff_out_unconfirmed(scene: Scene) -> None:
    async with scene.bot_at(HANDOFF) as bot:
        assert await bot.handoffs.post_due(HANDOFF)
        await _sent(bot)
    assert len(scene.emulator.messages("C0ONCALL")) == 1


async def _every_slo_seen_healthy(scene: Scene) -> None:
    """The first status of each SLO, recorded silently by an earlier check: healthy."""
    seen_at = END_AT - timedelta(hours=1)
    async with scene.bot_at(seen_at) as bot, bot.db.transaction() as session:
        for slo in bot.config.slos:
            first = SloStatusNotice(
                key=f"{STATUS_KEY}:{slo.name}:first",
                subject=slo.name,
                result=SloResult(
                    name=slo.name,
                    title=slo.title,
                    kind=slo.kind,
                    objective=slo.objective,
                    window=slo.window,
                    status=SloStatus.HEALTHY,
                    evaluated_at=seen_at,
                    budget_left_pct=60.0,
                    budget_used_pct=40.0,
                ),
            )
            assert await record(session, first, at=seen_at)


async def _creative_served_by_balanced(scene: Scene) -> None:
    """A downshift left creative on balanced; Qwen itself answers healthy again."""
    async with scene.bot_at(OPENED) as bot:
        await bot.serving.set_routing(Mode.CREATIVE, Mode.BALANCED)


# ---- what a person sees beyond "one message" ----------------------------------------------


async def _names_the_weekend_on_call(scene: Scene, message: Message) -> None:
    due = OPENED + timedelta(minutes=16)
    async with scene.bot_at(due) as bot:
        assert bot.oncall.rotation.pool_at(due) is Pool.WEEKDAY  # the weekday pool was paged
        weekend = await bot.oncall.on_call(Pool.WEEKEND, due)
    assert weekend is not None and f"<@{weekend}>" in message.text, message.text


async def _no_more(scene: Scene, message: Message) -> None:
    return None


@dataclass(frozen=True)
class Case:
    name: str
    prefix: str  # the outbox key of the post the process dies sending starts so
    at: datetime  # the first process's clock starts here: its first tick owes the post
    shows: str  # in the message a person sees
    prepare: Callable[[Scene], Awaitable[None]] = _nothing
    check: Callable[[Scene, Message], Awaitable[None]] = _no_more
    schedule: dict[str, Any] | None = None
    prometheus: bool = False
    # Restart on the dead process's own timeline, its lease still held: the new process
    # must leave the post alone until the lease runs out (15 s of real waiting).
    restart_at_once: bool = False


CASES = [
    Case(
        "reminder",
        "reminder:",
        OPENED + timedelta(minutes=16),
        "still unacknowledged after 16m",
        _sev2_with_its_card_out,
        restart_at_once=True,
    ),
    Case(
        "escalation",
        "escalation:",
        OPENED + timedelta(minutes=16),
        "Escalation 1",
        _sev1_with_its_card_out,
        _names_the_weekend_on_call,
    ),
    Case(
        "handoff",
        "handoff:",
        HANDOFF + timedelta(seconds=5),
        "On-call handoff",
        schedule={"handoff_message": True},
    ),
    Case(
        "handoff-reminder",
        "handoff-reminder:",
        HANDOFF + timedelta(minutes=31),
        "the handoff is not confirmed",
        _handoff_out_unconfirmed,
        schedule={"handoff_message": True},
    ),
    Case(
        "slo-notice",
        f"{STATUS_KEY}:",
        END_AT,
        "healthy → exhausted",
        _every_slo_seen_healthy,
        schedule={"slo_status_every": "5m"},
        prometheus=True,
    ),
    Case(
        "recovery-notice",
        "recovery:",
        OPENED,
        "qwen recovered",
        _creative_served_by_balanced,
        schedule={"health_probe_every": "1s"},
    ),
    Case(
        "drill",
        "drill:",
        DRILL + timedelta(seconds=5),
        "Monthly runbook drill",
        schedule={"runbook_drill": "0 10 1-7 * mon"},
    ),
]


# ---- reading Slack and the outbox ------------------------------------------------------------


def _key(call: RecordedCall) -> str:
    """The outbox key a ``chat.postMessage`` carries in its message metadata."""
    metadata = call.args.get("metadata")
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    payload = (metadata or {}).get("event_payload") or {}
    return str(payload.get("key") or "")


def _everything_posted(emulator: SlackEmulator) -> Iterator[Message]:
    """Every message in every channel, replies included."""
    for channel in emulator.channels:
        for message in emulator.messages(channel):
            yield message
            yield from emulator.replies(channel, message.ts)


def _carrying(message: Message) -> str | None:
    payload = (message.metadata or {}).get("event_payload") or {}
    return payload.get("key")


async def _post(database_url: str, key: str) -> PostRow:
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            row = await outbox.get(session, key)
    finally:
        await db.dispose()
    assert row is not None, f"{key} was never owed"
    return row


async def _pending(database_url: str) -> int:
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            return await outbox.count_pending(session)
    finally:
        await db.dispose()


async def _settled(database_url: str, key: str, process: Process) -> PostRow:
    """``key`` recorded as sent and nothing else left owed, as the restarted bot settles."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_WITHIN
    row = await _post(database_url, key)
    while loop.time() < deadline:
        if row.state == outbox.SENT and not await _pending(database_url):
            return row
        await asyncio.sleep(0.2)
        row = await _post(database_url, key)
    raise AssertionError(f"{key} not settled ({row.state}); the bot said:\n{process.log()}")


# ---- the test ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_a_post_cut_off_before_its_record_is_in_slack_once_after_a_restart(
    case: Case,
    request: pytest.FixtureRequest,
    worker_env: dict[str, str],
    emulator: SlackEmulator,
    start: Callable[..., Awaitable[Process]],
    tmp_path: Path,
) -> None:
    policy = {**POLICY, "schedule": {**POLICY["schedule"], **(case.schedule or {})}}
    config_path = tmp_path / "crash.yaml"
    config_path.write_text(sre_yaml(policy))
    prometheus = str(request.getfixturevalue("prometheus_url")) if case.prometheus else ""
    async with serving(create_standin_app()) as serving_url:
        env = {
            **worker_env,
            "SRE_CONFIG": str(config_path),
            "SERVING_URL": serving_url,
            "PROMETHEUS_URL": prometheus,
        }
        scene = Scene(env=env, config=load_config(config_path), emulator=emulator)
        await case.prepare(scene)
        database_url = env["DATABASE_URL"]

        started = time.monotonic()
        first = await start("scheduler-1", "scheduler", env=env, at=case.at)
        cut_off: list[str] = []

        async def die_between_post_and_record(call: RecordedCall, result: dict[str, Any]) -> None:
            key = _key(call)
            if key.startswith(case.prefix) and not cut_off:
                cut_off.append(key)
                first.kill()
                await first.process.wait()

        # Registered before the process has even imported the bot: it cannot post earlier.
        emulator.on_call("chat.postMessage", die_between_post_and_record)
        try:
            await asyncio.wait_for(first.process.wait(), timeout=SETTLE_WITHIN)
        except TimeoutError:
            raise AssertionError(
                f"never posted {case.prefix}…; the bot said:\n{first.log()}"
            ) from None
        emulator.clear_hooks()
        assert cut_off and first.process.returncode == -9, first.log()
        (key,) = cut_off
        dead = await _post(database_url, key)
        assert dead.state == outbox.PENDING and dead.ts is None  # in Slack, never recorded
        assert dead.lease_until is not None

        if case.restart_at_once:
            # Where the dead process's clock is now (a little ahead: it started after imports),
            # but inside the dead lease even when a busy machine made the first run slow:
            # this case is the restart that finds the lease still held.
            now_there = case.at + timedelta(seconds=time.monotonic() - started)
            restart_at = min(now_there, dead.lease_until - timedelta(seconds=5))
        else:
            # As when the machine takes a while to come back: the dead lease has run out.
            restart_at = dead.lease_until + timedelta(seconds=1)
        second = await start("scheduler-2", "scheduler", env=env, at=restart_at)
        recorded = await _settled(database_url, key, second)
        await second.stop()

    carrying = [m for m in _everything_posted(emulator) if _carrying(m) == key]
    assert len(carrying) == 1, [m.text for m in carrying]
    (message,) = carrying
    assert (recorded.channel, recorded.ts) == (message.channel, message.ts)
    assert case.shows in message.text, message.text
    await case.check(scene, message)
    # Nor was anything else posted twice on the way (a card, a run message, a second notice).
    keys = Counter(_carrying(m) for m in _everything_posted(emulator))
    assert [k for k, n in keys.items() if k and n > 1] == []
    assert emulator.violations == []
    assert "Traceback" not in second.log(), second.log()
