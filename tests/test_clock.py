"""``--clock-start``: a bot process on a clock the caller chose, running at real speed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import process_clock
from bot.clock import RunningClock, SystemClock
from bot.commands.arguments import parser

FIRST_MONDAY = datetime.fromisoformat("2026-12-07T11:00:00+09:00")


def test_a_running_clock_reads_its_start_at_its_anchor_and_moves_with_the_wall() -> None:
    anchor = datetime(2030, 1, 1, tzinfo=UTC)
    clock = RunningClock(FIRST_MONDAY, anchor=anchor)
    before = datetime.now(UTC)
    reading = clock.now()
    after = datetime.now(UTC)
    assert FIRST_MONDAY + (before - anchor) <= reading <= FIRST_MONDAY + (after - anchor)
    # Two processes given the same start and anchor read one clock, whenever they started.
    twin = RunningClock(FIRST_MONDAY, anchor=anchor)
    assert abs(twin.now() - clock.now()) < (datetime.now(UTC) - before) + timedelta(seconds=1)


def test_the_flag_builds_the_clock_and_without_it_the_bot_keeps_the_machines() -> None:
    args = parser().parse_args(["scheduler", "--clock-start", "2026-12-07T11:00:00+09:00"])
    assert args.clock_start == FIRST_MONDAY and args.clock_anchor is None
    clock = process_clock(args.clock_start, anchor=datetime(2030, 1, 1, tzinfo=UTC))
    assert isinstance(clock, RunningClock) and clock.start == FIRST_MONDAY
    assert isinstance(process_clock(None), SystemClock)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-12-07T11:00:00", "needs a time zone"),
        ("next monday", "is not an ISO time"),
    ],
)
def test_a_start_the_bot_cannot_place_is_refused_before_anything_runs(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("serve", "scheduler"):
        with pytest.raises(SystemExit) as exited:
            parser().parse_args([command, "--clock-start", value])
        assert exited.value.code == 2
        assert message in capsys.readouterr().err
