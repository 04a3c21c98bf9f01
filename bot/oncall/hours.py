"""Wall-clock time for the rotation: local times turned into UTC instants, and working hours.

Every boundary (handoff, 09:00, 17:00) is a *local wall time*. It becomes an instant by
``local_instant``, which has one rule for the times a DST change skips or repeats. Durations
are only ever taken between UTC instants: Python subtracts two aware datetimes in the same
zone by wall time, ignoring the offset change, so a DST week would come out as 168 h.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import ConfigurationError

WEEKDAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_HANDOFF = re.compile(r"^(MON|TUE|WED|THU|FRI|SAT|SUN) ([01]\d|2[0-3]):([0-5]\d)$")


class Pool(StrEnum):
    """The two rotations: Mon–Fri working-week cover and Sat–Sun (and nights into Monday)."""

    WEEKDAY = "weekday"
    WEEKEND = "weekend"


def as_utc(at: datetime) -> datetime:
    """``at`` in UTC; a naive datetime is a programming error (its zone would be a guess)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} is naive: the on-call rotation needs timezone-aware instants")
    return at.astimezone(UTC)


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the clock in ``zone`` first shows ``wall`` (or later) on ``day``.

    One rule for DST: a repeated wall time is its first occurrence (fold=0); a skipped wall
    time is the first instant after the gap, i.e. the moment the clocks jump forward.
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # Skipped: fold=1 reads the wall time with the offset after the jump (an instant inside
    # the old offset's hour), fold=0 with the offset before; the jump lies between the two.
    # Bisect on whole seconds, the granularity of the tz database, for the first instant
    # whose wall time is at or after ``naive``.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    """The calendar date in ``zone`` at the instant ``at``."""
    return as_utc(at).astimezone(zone).date()


@dataclass(frozen=True)
class Handoff:
    """When both pools hand over each week: a weekday (0 = Monday) and a local wall time."""

    weekday: int
    at: time

    @classmethod
    def parse(cls, text: str) -> Handoff:
        match = _HANDOFF.match(text.strip().upper())
        if match is None:
            raise ConfigurationError(
                f'oncall.handoff: {text!r} is not a handoff time: write e.g. "FRI 17:00"'
            )
        day, hour, minute = match.groups()
        return cls(weekday=WEEKDAY_NAMES.index(day), at=time(int(hour), int(minute)))

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {self.at:%H:%M}"


@dataclass(frozen=True)
class WorkingHours:
    """Mon–Fri ``start``–``end`` local: the weekday on-call is paged from Monday ``start`` to
    Friday ``end``, the weekend on-call the rest of the time; pages outside are out of hours."""

    start: time = time(9, 0)
    end: time = time(17, 0)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ConfigurationError(
                f"working hours must start before they end, not {self.start:%H:%M}–{self.end:%H:%M}"
            )


WORKING_HOURS = WorkingHours()


def is_out_of_hours(at: datetime, *, zone: ZoneInfo, hours: WorkingHours = WORKING_HOURS) -> bool:
    """True outside Mon–Fri ``hours.start``–``hours.end`` local time (the boundaries resolved
    by ``local_instant``, so a page at exactly 09:00 is in hours, at 17:00 out of hours)."""
    instant = as_utc(at)
    today = local_day(instant, zone)
    # Neighbouring days too, so a repeated hour around midnight cannot hide a window.
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        if day.weekday() < 5 and (
            local_instant(day, hours.start, zone) <= instant < local_instant(day, hours.end, zone)
        ):
            return False
    return True


def _weekday_windows(
    first: date, last: date, zone: ZoneInfo, hours: WorkingHours
) -> list[tuple[datetime, datetime]]:
    """The weekday pool's paging windows (Monday start → Friday end) for the calendar weeks
    from the one holding ``first`` to the one holding ``last``."""
    monday = first - timedelta(days=first.weekday())
    windows = []
    while monday <= last:
        opens = local_instant(monday, hours.start, zone)
        closes = local_instant(monday + timedelta(days=4), hours.end, zone)
        windows.append((opens, closes))
        monday += timedelta(days=7)
    return windows


def paged_pool(at: datetime, *, zone: ZoneInfo, hours: WorkingHours = WORKING_HOURS) -> Pool:
    """Which pool is paged at ``at``: weekday from Monday 09:00 to Friday 17:00 local."""
    instant = as_utc(at)
    today = local_day(instant, zone)
    windows = _weekday_windows(today - timedelta(days=7), today + timedelta(days=7), zone, hours)
    if any(opens <= instant < closes for opens, closes in windows):
        return Pool.WEEKDAY
    return Pool.WEEKEND


def paging_periods(
    start: datetime, end: datetime, *, zone: ZoneInfo, hours: WorkingHours = WORKING_HOURS
) -> list[tuple[Pool, datetime, datetime]]:
    """``[start, end)`` cut into consecutive (pool paged, from, until) periods, UTC instants."""
    start, end = as_utc(start), as_utc(end)
    if start >= end:
        return []
    windows = _weekday_windows(
        local_day(start, zone) - timedelta(days=7), local_day(end, zone), zone, hours
    )
    switches = sorted(
        [(opens, Pool.WEEKDAY) for opens, _ in windows]
        + [(closes, Pool.WEEKEND) for _, closes in windows]
    )
    periods: list[tuple[Pool, datetime, datetime]] = []
    pool, since = paged_pool(start, zone=zone, hours=hours), start
    for instant, next_pool in switches:
        if since < instant < end and next_pool is not pool:
            periods.append((pool, since, instant))
            pool, since = next_pool, instant
    periods.append((pool, since, end))
    return periods
