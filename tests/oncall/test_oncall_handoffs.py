"""Handoffs: Friday 17:00 local for ten years in four zones, DST weeks, the anchor, the DST rule."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.oncall import Pool, Rotation, local_instant

Wall = Callable[[str, str], datetime]
MakeRotation = Callable[..., Rotation]

HOUR = timedelta(hours=1)
WEEK = timedelta(weeks=1)

# Per calendar year (of the week's start): how many weeks of each length other than 168 h.
ODD_WEEKS = {
    "Asia/Seoul": {},
    "Europe/Berlin": {167 * HOUR: 1, 169 * HOUR: 1},
    "America/Chicago": {167 * HOUR: 1, 169 * HOUR: 1},
    "Australia/Lord_Howe": {167.5 * HOUR: 1, 168.5 * HOUR: 1},
}


@pytest.mark.parametrize("zone_name", sorted(ODD_WEEKS))
def test_ten_years_of_handoffs_are_friday_1700_local_and_dst_weeks_are_short_or_long(
    zone_name: str, make_rotation: MakeRotation
) -> None:
    zone = ZoneInfo(zone_name)
    rotation = make_rotation(zone_name)
    handoffs = rotation.handoffs_between(
        datetime(2025, 1, 1, tzinfo=zone), datetime(2035, 1, 8, tzinfo=zone)
    )
    assert len(handoffs) > 520
    lengths: dict[int, Counter[timedelta]] = defaultdict(Counter)
    for begins, ends in itertools.pairwise(handoffs):
        local = begins.astimezone(zone)
        assert (local.strftime("%a %H:%M"), begins.tzinfo) == ("Fri 17:00", UTC)
        # Computed from UTC instants: same-zone subtraction would always say 168 h.
        duration = ends - begins
        offset_change = ends.astimezone(zone).utcoffset() - local.utcoffset()  # type: ignore[operator]
        assert duration == WEEK - offset_change
        if local.year <= 2034:
            lengths[local.year][duration] += 1
    assert sorted(lengths) == list(range(2025, 2035))
    for year, counts in lengths.items():
        odd = {length: n for length, n in counts.items() if length != WEEK}
        assert odd == ODD_WEEKS[zone_name], year
        assert counts[WEEK] == sum(counts.values()) - sum(odd.values()) >= 50


def test_week_zero_starts_at_the_anchor_handoff(make_rotation: MakeRotation, wall: Wall) -> None:
    rotation = make_rotation("Asia/Seoul")
    weekday, weekend = rotation.people(Pool.WEEKDAY), rotation.people(Pool.WEEKEND)
    assert rotation.handoff_at(0) == wall("Asia/Seoul", "2024-01-05 17:00")
    assert rotation.week_at(wall("Asia/Seoul", "2024-01-05 17:00")) == 0
    assert rotation.week_at(wall("Asia/Seoul", "2024-01-05 16:59")) == -1
    # Week 0's Monday belongs to week 0: its weekday person is the first on the list.
    assert rotation.who_is_paged(wall("Asia/Seoul", "2024-01-08 09:00")) == weekday[0]
    assert rotation.who_is_paged(wall("Asia/Seoul", "2024-01-05 17:00")) == weekend[0]
    # Weeks before the anchor count backwards through the list.
    assert (
        rotation.who_is_on_call(Pool.WEEKDAY, wall("Asia/Seoul", "2024-01-05 16:59")) == weekday[-1]
    )


def test_the_anchor_can_be_moved() -> None:
    zone = ZoneInfo("Asia/Seoul")
    rotation = Rotation(weekday=["U0AAA"], weekend=["U0DDD"], zone=zone, anchor=date(2026, 1, 1))
    assert rotation.handoff_at(0) == datetime(2026, 1, 2, 17, 0, tzinfo=zone)


def test_handoffs_between_is_half_open_and_next_handoffs_is_strictly_after(
    make_rotation: MakeRotation, wall: Wall
) -> None:
    rotation = make_rotation("Europe/Berlin")
    first, second = (
        wall("Europe/Berlin", "2025-03-28 17:00"),
        wall("Europe/Berlin", "2025-04-04 17:00"),
    )
    assert rotation.handoffs_between(first, second) == [first]
    assert rotation.handoffs_between(first - HOUR, second + HOUR) == [first, second]
    assert rotation.handoffs_between(second, first) == []
    assert rotation.next_handoffs(first, 2) == [second, second + WEEK]
    assert rotation.next_handoffs(first - timedelta(seconds=1), 1) == [first]
    assert second - first == 167 * HOUR


def test_a_handoff_on_a_skipped_local_time_happens_when_the_clocks_jump(
    make_rotation: MakeRotation,
) -> None:
    # Berlin, Sunday 2025-03-30: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 never happens.
    rotation = make_rotation("Europe/Berlin", handoff="SUN 02:30")
    jump = datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert rotation.next_handoffs(jump - 3 * HOUR, 1) == [jump]
    before = rotation.shift(Pool.WEEKEND, jump - timedelta(seconds=1))
    after = rotation.shift(Pool.WEEKEND, jump)
    assert (before.end, after.start, after.week) == (jump, jump, before.week + 1)
    # Both weeks touching the moved handoff are 30 min short (167.5 h, 167.5 h = 335 h).
    assert before.duration == after.duration == 167.5 * HOUR


def test_a_handoff_on_a_repeated_local_time_happens_at_its_first_occurrence(
    make_rotation: MakeRotation,
) -> None:
    # Berlin, Sunday 2025-10-26: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    rotation = make_rotation("Europe/Berlin", handoff="SUN 02:30")
    first = datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 01:30 UTC (CET)
    assert rotation.next_handoffs(first - 3 * HOUR, 2) == [first, first + WEEK + HOUR]
    assert rotation.shift(Pool.WEEKDAY, first + HOUR).start == first


@pytest.mark.parametrize(
    ("zone", "day", "wall_time", "expected"),
    [
        ("Europe/Berlin", date(2025, 3, 30), time(2, 30), datetime(2025, 3, 30, 1, 0)),
        ("Europe/Berlin", date(2025, 10, 26), time(2, 30), datetime(2025, 10, 26, 0, 30)),
        ("America/Chicago", date(2025, 3, 9), time(2, 30), datetime(2025, 3, 9, 8, 0)),
        ("America/Chicago", date(2025, 11, 2), time(1, 30), datetime(2025, 11, 2, 6, 30)),
        # Lord Howe moves by 30 minutes: 02:00 → 02:30 in October, 02:00 → 01:30 in April.
        ("Australia/Lord_Howe", date(2025, 10, 5), time(2, 15), datetime(2025, 10, 4, 15, 30)),
        ("Australia/Lord_Howe", date(2025, 4, 6), time(1, 45), datetime(2025, 4, 5, 14, 45)),
        ("Asia/Seoul", date(2025, 3, 30), time(2, 30), datetime(2025, 3, 29, 17, 30)),
    ],
)
def test_local_instant_rule(zone: str, day: date, wall_time: time, expected: datetime) -> None:
    assert local_instant(day, wall_time, ZoneInfo(zone)) == expected.replace(tzinfo=UTC)


def test_naive_instants_are_refused(make_rotation: MakeRotation) -> None:
    with pytest.raises(ValueError, match="naive"):
        make_rotation("Asia/Seoul").week_at(datetime(2025, 1, 1))
