"""Properties over ten years of random instants: one person paged, the shift holds the instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.oncall import Pool, Rotation, local_instant

ZONES = ["Asia/Seoul", "Europe/Berlin", "America/Chicago", "Australia/Lord_Howe"]
HANDOFFS = ["FRI 17:00", "SUN 02:30", "SUN 02:15", "MON 09:00", "WED 00:00"]
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(at=instants, zone=st.sampled_from(ZONES), handoff=st.sampled_from(HANDOFFS))
def test_exactly_one_person_is_paged_and_each_shift_holds_the_instant(
    at: datetime, zone: str, handoff: str
) -> None:
    rotation = Rotation(
        weekday=["U0AAA", "U0BBB", "U0CCC"],
        weekend=["U0DDD", "U0EEE"],
        zone=ZoneInfo(zone),
        handoff=handoff,
    )
    pool = rotation.pool_at(at)
    paged = rotation.who_is_paged(at)
    assert [p for p in Pool if paged in rotation.people(p)] == [pool]
    for each in Pool:
        shift = rotation.shift(each, at)
        assert shift.start <= at < shift.end
        assert shift.user == rotation.who_is_on_call(each, at)
        assert timedelta(hours=166) <= shift.duration <= timedelta(hours=170)
        assert rotation.shift(each, shift.end).week == shift.week + 1
    assert paged == rotation.shift(pool, at).user
    assert rotation.is_out_of_hours(at) or pool is Pool.WEEKDAY


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    wall=st.times(),
    zone=st.sampled_from(ZONES),
)
def test_a_local_time_is_the_first_instant_the_clock_shows_it_or_later(
    day: date, wall: time, zone: str
) -> None:
    tz = ZoneInfo(zone)
    naive = datetime.combine(day, wall.replace(microsecond=0))
    instant = local_instant(day, wall.replace(microsecond=0), tz)
    assert instant.astimezone(tz).replace(tzinfo=None) >= naive
    assert (instant - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) < naive
