"""The demo opens with nothing of the calendar, whatever the date: no drill on a first Monday,
no digest on a Monday morning, no handoff on a Friday evening. They come when the visitor
moves the clock to them, as the product posts them. In-process, on clocks chosen here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sandbox.demo import timeskip
from tests.demo.inprocess import CONFIG, demo_at, posted, settled

SEOUL = ZoneInfo("Asia/Seoul")
FIRST_MONDAY_11 = datetime(2026, 12, 7, 11, 0, tzinfo=SEOUL)  # the drill and the digest: 10:00
FRIDAY_17 = datetime(2026, 12, 11, 17, 0, 0, tzinfo=SEOUL)  # the handoff, this very second
FRIDAY_BEFORE_17 = datetime(2026, 12, 11, 16, 59, 59, tzinfo=SEOUL)
NOTHING = {"incidents": [], "oncall": [], "slo-digest": []}


@pytest.mark.parametrize(
    "start",
    [FIRST_MONDAY_11, FRIDAY_17, FRIDAY_BEFORE_17],
    ids=["first-monday-11h", "friday-17h", "friday-16h59m59s"],
)
async def test_the_demo_opens_with_no_post_whatever_the_date(start: datetime, tmp_path: Path):
    async with demo_at(start, tmp_path) as demo:
        await settled(demo)
        assert posted(demo) == NOTHING
        assert demo.emulator.calls == []  # nor a user group changed, nor anything else


async def test_the_drill_the_digest_and_the_handoff_come_when_the_clock_reaches_them(
    tmp_path: Path,
):
    async with demo_at(FIRST_MONDAY_11, tmp_path) as demo:
        await settled(demo)
        for skip in (timeskip.Skip.HANDOFF, timeskip.Skip.DIGEST, timeskip.Skip.DRILL):
            timeskip.move(demo.clock, skip, CONFIG)
            await settled(demo)
        shown = posted(demo)
    # Mondays 10:00 reached: 14 December (the digest's skip) and 4 January (the drill's).
    assert shown["slo-digest"] == 2 * [
        "SLO digest: ❔ SLO data unavailable: cannot tell whether deployments are safe"
    ]
    oncall = shown["oncall"]
    assert [t for t in oncall if t.startswith("On-call handoff")] == [
        "On-call handoff: U0CCC → U0EEE"
    ]
    drill = [t for t in oncall if "Monthly runbook drill" in t]
    assert len(drill) == 1, oncall
    dry_runs = [t for t in oncall if t.startswith("RUN-")]
    assert len(dry_runs) == 4, oncall  # every runbook, dry-run once
    # The next first Monday 10:00 after the next digest (Mon 14 Dec): 4 January.
    assert demo.clock.now().astimezone(SEOUL).strftime("%a %d %b %H:%M") == "Mon 04 Jan 10:00"
