"""Fatigue: pages per person in a shift, and the out-of-hours ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.oncall import Page, fatigue

Wall = Callable[[str, str], datetime]


def test_counts_pages_in_the_shift_per_person_and_out_of_hours(wall: Wall) -> None:
    def at(text: str) -> datetime:
        return wall("America/Chicago", text)

    pages = [
        Page(at("2025-03-07 16:59"), "U0OLD"),  # before the shift
        Page(at("2025-03-07 17:00"), "U0DDD"),  # Friday evening: out of hours
        Page(at("2025-03-09 03:30"), "U0DDD"),  # the DST night
        Page(at("2025-03-10 09:00"), "U0AAA"),  # Monday: in hours
        (at("2025-03-11 02:00"), "U0AAA"),  # a plain tuple; a weekday night
        Page(at("2025-03-12 13:00"), "U0AAA"),
        Page(at("2025-03-14 17:00"), "U0NEW"),  # the shift's end is exclusive
    ]
    report = fatigue(
        pages, at("2025-03-07 17:00"), at("2025-03-14 17:00"), ZoneInfo("America/Chicago")
    )
    assert report.pages == {"U0AAA": 3, "U0DDD": 2}
    assert list(report.pages) == ["U0AAA", "U0DDD"]  # most paged first
    assert report.out_of_hours == {"U0AAA": 1, "U0DDD": 2}
    assert report.total == 5


def test_no_pages_is_an_empty_report(wall: Wall) -> None:
    start, end = wall("Asia/Seoul", "2025-01-03 17:00"), wall("Asia/Seoul", "2025-01-10 17:00")
    report = fatigue([], start, end, ZoneInfo("Asia/Seoul"))
    assert (report.pages, report.out_of_hours, report.total) == ({}, {}, 0)
