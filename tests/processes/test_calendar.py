"""The process tests' configuration is calendar-proof.

A bot on it, started at the moments the calendar's duties fall due (the first Monday of a
month after 10:00, when the drill and the digest are due; a second before Friday 17:00, the
handoff), does nothing nobody asked for: the scheduler ticks past those moments and nothing
is owed, run or posted. The same start with those duties turned on does post them, so the
quiet is the configuration's doing and not a test that cannot see.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlmodel import select

from sandbox.slack import SlackEmulator
from storage import outbox
from storage.db import Database
from storage.runbooks import RunbookRunRow
from storage.tables import PostRow
from tests.processes.conftest import FAST_POLICY, wait_ready
from tests.support.config import sre_yaml
from tests.support.ports import free_port

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

SEOUL = ZoneInfo("Asia/Seoul")
# An hour after the first Monday's drill and the weekly digest fell due (10:00).
FIRST_MONDAY = datetime(2026, 12, 7, 11, 0, tzinfo=SEOUL)
# A second before the Friday 17:00 handoff.
FRIDAY_BEFORE_HANDOFF = datetime(2026, 12, 11, 16, 59, 59, tzinfo=SEOUL)
# Completed ticks to wait for, one of them at least this far past the start: a duty due at
# the start or a second after it is owed by then (the first tick runs at once, then 1 s).
TICKS = 3
PAST_START = timedelta(seconds=2)
# Web API methods that would show something to someone.
SHOWING = ("chat.", "files.", "usergroups.", "reactions.", "views.")


async def _scheduler_ticks(url: str) -> tuple[int, datetime | None]:
    """Ticks completed, and the bot's clock at the start of the last one (``/metrics``)."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as answer:
        text = await answer.text()
    ticks = re.search(r"^artisan_sre_scheduler_ticks_total (\S+)$", text, re.M)
    last = re.search(r"^artisan_sre_scheduler_last_tick_timestamp_seconds (\S+)$", text, re.M)
    at = datetime.fromtimestamp(float(last.group(1)), UTC) if last else None
    return int(float(ticks.group(1))) if ticks else 0, at


async def _ticked_past(url: str, instant: datetime, *, within: float = 60) -> datetime:
    """Until ``TICKS`` ticks have completed, the last begun at ``instant`` or later; the
    bot's clock at that last tick."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    ticks, last = await _scheduler_ticks(url)
    while not (ticks >= TICKS and last is not None and last >= instant):
        if loop.time() > deadline:
            raise AssertionError(f"{ticks} ticks, the last at {last}, within {within:g} s")
        await asyncio.sleep(0.1)
        ticks, last = await _scheduler_ticks(url)
    return last


async def _owed_and_run(db: Database) -> tuple[list[str], list[str]]:
    """The outbox keys owed or posted (a decision kept silently, as a handoff with its
    message off, is neither) and every runbook run stored."""
    async with db.transaction() as session:
        posts = (await session.execute(select(PostRow))).scalars().all()
        runs = [row.id for row in (await session.execute(select(RunbookRunRow))).scalars()]
    return [p.key for p in posts if p.state != outbox.DECIDED], runs


def _keys_posted(emulator: SlackEmulator) -> set[str]:
    """The outbox keys the messages in Slack carry, to their first colon."""
    return {
        str(((m.metadata or {}).get("event_payload") or {}).get("key", "")).split(":")[0]
        for channel in emulator.channels
        for m in emulator.messages(channel)
    }


MOMENTS = {"first Monday 11:00": FIRST_MONDAY, "Friday 16:59:59": FRIDAY_BEFORE_HANDOFF}


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
async def test_started_when_a_calendar_duty_is_due_the_bot_does_nothing_unasked(
    moment: datetime,
    process_env: dict[str, str],
    emulator: SlackEmulator,
    start: Callable[..., Any],
    db: Database,
) -> None:
    env = {**process_env, "PORT": str(free_port())}
    await start("bot", "serve", "--with-scheduler", env=env, at=moment)
    url = f"http://127.0.0.1:{env['PORT']}"
    await wait_ready(url)
    last_tick = await _ticked_past(url, moment + PAST_START)
    assert last_tick < moment + timedelta(minutes=10)  # the chosen moment, not today

    # No drill, no digest, no handoff, no probe's runbook: nothing owed, run or shown.
    assert await _owed_and_run(db) == ([], [])
    assert [c.method for c in emulator.calls if c.method.startswith(SHOWING)] == []


TURNED_ON = {
    "first Monday 11:00": (
        FIRST_MONDAY,
        {"runbook_drill": "0 10 1-7 * mon", "slo_digest": "0 10 * * mon"},
        {"drill", "slo-digest"},
    ),
    "Friday 16:59:59": (FRIDAY_BEFORE_HANDOFF, {"handoff_message": True}, {"handoff"}),
}


@pytest.mark.parametrize(("moment", "duties", "posted"), TURNED_ON.values(), ids=TURNED_ON.keys())
async def test_the_same_start_with_those_duties_on_posts_them(
    moment: datetime,
    duties: dict[str, Any],
    posted: set[str],
    process_env: dict[str, str],
    emulator: SlackEmulator,
    start: Callable[..., Any],
    tmp_path: Path,
) -> None:
    config = tmp_path / "duties-on.yaml"
    config.write_text(sre_yaml({**FAST_POLICY, "schedule": {**FAST_POLICY["schedule"], **duties}}))
    env = {**process_env, "SRE_CONFIG": str(config), "PORT": str(free_port())}
    await start("bot", "serve", "--with-scheduler", env=env, at=moment)
    await wait_ready(f"http://127.0.0.1:{env['PORT']}")
    await emulator.wait_for(
        lambda e: posted <= _keys_posted(e),
        timeout=60,
        description=f"the {', '.join(sorted(posted))} posted",
    )
