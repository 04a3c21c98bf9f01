"""Who is paged when: the pools alternate through a year of DST, and the 09:00/17:00 edges."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ConfigurationError
from bot.oncall import Pool, Rotation, is_out_of_hours, local_instant
from bot.settings import OncallConfig, SreConfig

Wall = Callable[[str, str], datetime]
MakeRotation = Callable[..., Rotation]


@pytest.mark.parametrize("zone_name", ["America/Chicago", "Europe/Berlin"])
def test_each_pool_takes_its_turn_in_list_order_through_a_year_of_dst(
    zone_name: str, make_rotation: MakeRotation
) -> None:
    zone = ZoneInfo(zone_name)
    rotation = make_rotation(zone_name)
    weekday, weekend = rotation.people(Pool.WEEKDAY), rotation.people(Pool.WEEKEND)
    monday = date(2024, 12, 30)
    paged: list[tuple[str, str, str, str, str]] = []
    for week in range(53):
        day = monday + timedelta(weeks=week)

        def at(days: int, hour: int, minute: int = 0, day: date = day) -> datetime:
            return local_instant(day + timedelta(days=days), time(hour, minute), zone)

        paged.append(
            (
                rotation.who_is_paged(at(-3, 17)),  # the Friday handoff before this Monday
                rotation.who_is_paged(at(0, 8, 59)),
                rotation.who_is_paged(at(0, 9)),
                rotation.who_is_paged(at(1, 3)),  # nights in the week: the weekday person
                rotation.who_is_paged(at(4, 16, 59)),
            )
        )
    first = rotation.week_at(local_instant(monday, time(9), zone))
    for offset, (friday, monday_early, monday_nine, tuesday_night, friday_late) in enumerate(paged):
        week = first + offset
        assert friday == monday_early == weekend[week % 2]
        assert monday_nine == tuesday_night == friday_late == weekday[week % 3]
    # A, B, C, A, … and D, E, D, …: each week hands to the next on the list.
    for this, following in itertools.pairwise(paged):
        assert weekday.index(following[2]) == (weekday.index(this[2]) + 1) % 3
        assert weekend.index(following[0]) == (weekend.index(this[0]) + 1) % 2
    assert len({row[2] for row in paged}) == 3 and len({row[0] for row in paged}) == 2


def test_friday_1659_and_1700_are_different_weeks(make_rotation: MakeRotation, wall: Wall) -> None:
    rotation = make_rotation("Europe/Berlin")
    weekday, weekend = rotation.people(Pool.WEEKDAY), rotation.people(Pool.WEEKEND)
    before, after = (
        wall("Europe/Berlin", "2025-03-28 16:59"),
        wall("Europe/Berlin", "2025-03-28 17:00"),
    )
    week = rotation.week_at(before)
    assert rotation.week_at(after) == week + 1
    for pool in Pool:
        assert rotation.who_is_on_call(pool, before) != rotation.who_is_on_call(pool, after)
    assert (rotation.pool_at(before), rotation.pool_at(after)) == (Pool.WEEKDAY, Pool.WEEKEND)
    assert rotation.who_is_paged(before) == weekday[week % 3]
    assert rotation.who_is_paged(after) == weekend[(week + 1) % 2]


def test_monday_0900_moves_paging_from_weekend_to_weekday_in_the_same_week(
    make_rotation: MakeRotation, wall: Wall
) -> None:
    rotation = make_rotation("America/Chicago")
    weekday, weekend = rotation.people(Pool.WEEKDAY), rotation.people(Pool.WEEKEND)
    # The Monday after the March DST change.
    before, after = (
        wall("America/Chicago", "2025-03-10 08:59"),
        wall("America/Chicago", "2025-03-10 09:00"),
    )
    week = rotation.week_at(before)
    assert rotation.week_at(after) == week
    assert (rotation.pool_at(before), rotation.pool_at(after)) == (Pool.WEEKEND, Pool.WEEKDAY)
    assert rotation.who_is_paged(before) == weekend[week % 2]
    assert rotation.who_is_paged(after) == weekday[week % 3]


@pytest.mark.parametrize("zone", ["Asia/Seoul", "America/Chicago"])
@pytest.mark.parametrize(
    ("local", "out"),
    [
        ("2025-03-10 08:59", True),  # Monday (Chicago's first after DST starts)
        ("2025-03-10 09:00", False),
        ("2025-03-12 12:00", False),
        ("2025-03-12 03:00", True),
        ("2025-03-14 16:59", False),  # Friday
        ("2025-03-14 17:00", True),
        ("2025-03-15 12:00", True),  # Saturday
        ("2025-03-16 12:00", True),  # Sunday
        ("2025-11-03 08:59", True),  # Monday after Chicago's return to standard time
        ("2025-11-03 09:00", False),
    ],
)
def test_out_of_hours_at_the_edges(
    zone: str, local: str, out: bool, make_rotation: MakeRotation, wall: Wall
) -> None:
    instant = wall(zone, local)
    assert make_rotation(zone).is_out_of_hours(instant) is out
    assert is_out_of_hours(instant, zone=ZoneInfo(zone)) is out


def test_seoul_and_chicago_disagree_about_the_same_instant() -> None:
    instant = datetime(2025, 3, 12, 2, 0, tzinfo=UTC)  # Seoul 11:00 Wed, Chicago 21:00 Tue
    assert not is_out_of_hours(instant, zone=ZoneInfo("Asia/Seoul"))
    assert is_out_of_hours(instant, zone=ZoneInfo("America/Chicago"))


def test_schedule_lists_four_weeks_of_people_and_coverage_across_dst(
    make_rotation: MakeRotation, wall: Wall
) -> None:
    rotation = make_rotation("Europe/Berlin")
    weekday, weekend = rotation.people(Pool.WEEKDAY), rotation.people(Pool.WEEKEND)
    start = wall("Europe/Berlin", "2025-03-19 10:00")  # a Wednesday
    plans = rotation.schedule(start)
    assert len(plans) == 4
    assert plans[0].start <= start < plans[0].end
    for plan, following in itertools.pairwise(plans):
        assert (following.week, following.start) == (plan.week + 1, plan.end)
    for plan in plans:
        assert (plan.weekday, plan.weekend) == (weekday[plan.week % 3], weekend[plan.week % 2])
        assert plan.start_local.strftime("%a %H:%M") == "Fri 17:00"
        weekend_cover, weekday_cover = plan.coverage
        assert (weekend_cover.pool, weekend_cover.user) == (Pool.WEEKEND, plan.weekend)
        assert (weekday_cover.pool, weekday_cover.user) == (Pool.WEEKDAY, plan.weekday)
        assert (weekend_cover.start, weekend_cover.end) == (plan.start, weekday_cover.start)
        assert weekday_cover.end == plan.end
        assert weekend_cover.end_local.strftime("%a %H:%M") == "Mon 09:00"
        assert weekday_cover.end_local.strftime("%a %H:%M") == "Fri 17:00"
    # The week of 2025-03-30 (CET → CEST): the weekend cover is one hour short.
    lengths = [c.end - c.start for c in plans[2].coverage]
    assert lengths == [timedelta(hours=63), timedelta(hours=104)]


def test_a_mid_week_handoff_splits_a_paging_window(make_rotation: MakeRotation, wall: Wall) -> None:
    rotation = make_rotation("Europe/Berlin", handoff="WED 12:00")
    plan = rotation.schedule(wall("Europe/Berlin", "2025-06-11 12:00"), weeks=1)[0]
    shape = [(c.pool, c.start_local.strftime("%a %H:%M")) for c in plan.coverage]
    assert shape == [
        (Pool.WEEKDAY, "Wed 12:00"),
        (Pool.WEEKEND, "Fri 17:00"),
        (Pool.WEEKDAY, "Mon 09:00"),
    ]


def test_from_config_and_an_empty_pool() -> None:
    config = SreConfig(oncall=OncallConfig(weekday=["U0AAA"], weekend=[]))
    rotation = Rotation.from_config(config)
    assert rotation.zone == ZoneInfo("Asia/Seoul")
    assert str(rotation.handoff) == "FRI 17:00"
    monday = datetime(2025, 6, 9, 3, 0, tzinfo=UTC)  # 12:00 in Seoul
    assert rotation.who_is_paged(monday) == "U0AAA"
    with pytest.raises(ConfigurationError, match=r"oncall\.weekend"):
        rotation.who_is_paged(monday + timedelta(days=5))
