"""Overrides win only in their pool and period, the latest wins; reading "until" text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.oncall import Override, Pool, Rotation, new_override, parse_until

Wall = Callable[[str, str], datetime]
MakeRotation = Callable[..., Rotation]

SEOUL = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 10:00 in Seoul
HOUR = timedelta(hours=1)


def cover(pool: Pool, user: str, start: datetime, end: datetime, created_at: datetime) -> Override:
    return Override(
        pool=pool,
        user=user,
        start=start,
        end=end,
        created_by="U0AAA",
        reason="dentist",
        created_at=created_at,
    )


def test_an_override_covers_only_its_pool_and_period(make_rotation: MakeRotation) -> None:
    rotation = make_rotation("Asia/Seoul")
    weekday_person = rotation.who_is_on_call(Pool.WEEKDAY, NOW)
    override = cover(Pool.WEEKDAY, "U0ZZZ", NOW, NOW + 2 * HOUR, NOW)
    assert rotation.who_is_on_call(Pool.WEEKDAY, NOW, [override]) == "U0ZZZ"
    assert rotation.who_is_paged(NOW + HOUR, [override]) == "U0ZZZ"
    assert rotation.who_is_on_call(Pool.WEEKEND, NOW, [override]) == rotation.who_is_on_call(
        Pool.WEEKEND, NOW
    )
    # Expiry (the end is exclusive) and the time before it restore the rotation.
    assert rotation.who_is_on_call(Pool.WEEKDAY, NOW + 2 * HOUR, [override]) == weekday_person
    assert rotation.who_is_on_call(Pool.WEEKDAY, NOW - HOUR, [override]) == weekday_person


def test_a_weekend_override_changes_who_is_paged_only_when_the_weekend_pool_is(
    make_rotation: MakeRotation, wall: Wall
) -> None:
    rotation = make_rotation("Asia/Seoul")
    friday = wall("Asia/Seoul", "2026-11-27 16:00")
    override = cover(Pool.WEEKEND, "U0ZZZ", friday, friday + 4 * HOUR, NOW)
    assert rotation.who_is_paged(friday, [override]) == rotation.who_is_paged(friday)
    assert rotation.who_is_paged(friday + HOUR, [override]) == "U0ZZZ"


def test_the_latest_created_override_wins() -> None:
    rotation = Rotation(weekday=["U0AAA"], weekend=["U0DDD"], zone=SEOUL)
    older = cover(Pool.WEEKDAY, "U0OLD", NOW, NOW + 4 * HOUR, NOW - HOUR)
    newer = cover(Pool.WEEKDAY, "U0NEW", NOW + HOUR, NOW + 2 * HOUR, NOW)
    for overrides in ([older, newer], [newer, older]):
        assert rotation.who_is_on_call(Pool.WEEKDAY, NOW, overrides) == "U0OLD"
        assert rotation.who_is_on_call(Pool.WEEKDAY, NOW + HOUR, overrides) == "U0NEW"
        assert rotation.who_is_on_call(Pool.WEEKDAY, NOW + 3 * HOUR, overrides) == "U0OLD"
        assert rotation.who_is_on_call(Pool.WEEKDAY, NOW + 4 * HOUR, overrides) == "U0AAA"
    # Created at the same instant: the later in the list wins.
    twin = cover(Pool.WEEKDAY, "U0TWN", NOW, NOW + HOUR, NOW - HOUR)
    assert rotation.who_is_on_call(Pool.WEEKDAY, NOW, [older, twin]) == "U0TWN"


def test_new_override_checks_and_normalises() -> None:
    made = new_override(
        pool=" Weekend ",
        user="U0ZZZ",
        start=NOW.astimezone(SEOUL),
        end=NOW + HOUR,
        created_by="U0AAA",
        reason="  swap  ",
        now=NOW,
    )
    assert (made.pool, made.start.tzinfo, made.reason, made.created_at) == (
        Pool.WEEKEND,
        UTC,
        "swap",
        NOW,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pool": "nights"}, "Unknown rotation 'nights': use weekday or weekend"),
        ({"user": "bob"}, "not a Slack user ID"),
        ({"end": NOW - 2 * HOUR}, "must end after it starts"),
        ({"start": NOW - 2 * HOUR, "end": NOW - HOUR}, "already be over"),
        ({"end": NOW + timedelta(days=15)}, "at most 14 days"),
        ({"reason": "x" * 501}, "the limit is 500"),
    ],
)
def test_new_override_refuses_with_a_reason(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "pool": "weekday",
        "user": "U0ZZZ",
        "start": NOW,
        "end": NOW + HOUR,
        "created_by": "U0AAA",
        "reason": "",
        "now": NOW,
    } | changes
    with pytest.raises(InvalidInput, match=message):
        new_override(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("2026-11-27 18:00", "2026-11-27 18:00"),
        ("2026-11-27T18:00", "2026-11-27 18:00"),
        ("18:00", "2026-11-25 18:00"),  # later today
        ("09:30", "2026-11-26 09:30"),  # already past today: tomorrow
        ("10:00", "2026-11-26 10:00"),  # exactly now: tomorrow
        ("today 23:59", "2026-11-25 23:59"),
        ("Tomorrow 09:00", "2026-11-26 09:00"),
        ("+4h", "2026-11-25 14:00"),
        ("+ 1d 12h", "2026-11-26 22:00"),
        ("+90m", "2026-11-25 11:30"),
        ("+14d", "2026-12-09 10:00"),
    ],
)
def test_parse_until_accepts(text: str, local: str, wall: Wall) -> None:
    assert parse_until(text, now=NOW, zone=SEOUL) == wall("Asia/Seoul", local)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-24 18:00", r"means 2026-11-24 18:00 Asia/Seoul, which is not in the future"),
        ("today 09:00", "not in the future"),
        ("2026-12-10 10:01", "more than 14 days away: an override may last until 2026-12-09 10:00"),
        ("+15d", "more than 14 days away"),
        ("+0h", "must be more than zero"),
        ("next week", "Could not read 'next week' as an end time: write e.g."),
        ("", "Could not read"),
        ("18", "Could not read"),
        ("2026-02-30 10:00", "2026-02-30 is not a date"),
        ("25:00", "25:00 is not a time of day"),
        ("tomorrow 12:60", "12:60 is not a time of day"),
    ],
)
def test_parse_until_refuses_with_the_problem_named(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_until(text, now=NOW, zone=SEOUL)


def test_parse_until_resolves_a_skipped_local_time_by_the_rotation_rule() -> None:
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    # 2026-03-29 02:30 does not exist in Berlin: it means 03:00 CEST, when the clocks jump.
    assert parse_until("2026-03-29 02:30", now=now, zone=BERLIN) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )
