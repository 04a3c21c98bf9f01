"""``off`` in sre.yaml's schedule: the duty is not done, on the day it would have been."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import SreConfig
from tests.scheduler.conftest import ONCALL_CONFIG, START, World
from tests.support.config import QUIET_SCHEDULE, sandbox_config

# The first Monday of November 2026, 10:00 in Seoul: the drill and the digest are due.
FIRST_MONDAY = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
# Friday 2026-10-16 17:00 in Seoul: a handoff (A → B weekday, D → E weekend).
HANDOFF = datetime(2026, 10, 16, 8, 0, tzinfo=UTC)


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config({**ONCALL_CONFIG, "schedule": QUIET_SCHEDULE})


async def test_no_drill_and_no_digest_on_the_first_monday(world: World) -> None:
    for past in (timedelta(seconds=1), timedelta(hours=1)):
        await world.at(FIRST_MONDAY - START + past)
    assert world.emulator.calls_to("chat.postMessage") == []
    assert await world.container.runbooks.list_runs(active_only=False) == []
    # Not done and not listed: the start-up log names only the duties that will happen.
    names = world.duties.names
    assert "chase unacknowledged incidents" in names and "post the handoff" in names
    for off in (
        "drill the runbooks",
        "post the SLO digest",
        "probe model health",
        "announce SLO status changes",
        "remind unconfirmed handoffs",
    ):
        assert off not in names


async def test_with_its_message_off_the_handoff_still_moves_the_user_group(world: World) -> None:
    await world.at(HANDOFF - START + timedelta(seconds=1))
    await world.at(HANDOFF - START + timedelta(minutes=31))  # past handoff_confirm_within
    assert world.emulator.calls_to("chat.postMessage") == []
    assert world.emulator.usergroup_members("S0ONCALL") == ["U0BBB", "U0EEE"]
