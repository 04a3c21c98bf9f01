"""On-call fatigue: how many pages each person took in a shift, and how many out of hours.

The team watches on-call fatigue (docs/guide.md#paging-hours); this counts, the report
renders elsewhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.oncall.hours import WORKING_HOURS, WorkingHours, as_utc, is_out_of_hours


class Page(NamedTuple):
    """One page: when it went out and to whom (a plain ``(at, user)`` tuple works too)."""

    at: datetime
    user: str


@dataclass(frozen=True)
class Fatigue:
    """Pages per person in ``[start, end)`` and, of those, the ones out of hours.

    Both maps have the same keys (everyone paged at least once), most pages first.
    """

    start: datetime
    end: datetime
    pages: dict[str, int]
    out_of_hours: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.pages.values())


def fatigue(
    pages: Iterable[tuple[datetime, str]],
    shift_start: datetime,
    shift_end: datetime,
    zone: ZoneInfo,
    *,
    hours: WorkingHours = WORKING_HOURS,
) -> Fatigue:
    """Count the pages in ``[shift_start, shift_end)`` per person, out-of-hours ones apart."""
    start, end = as_utc(shift_start), as_utc(shift_end)
    counted: Counter[str] = Counter()
    late: Counter[str] = Counter()
    for at, user in pages:
        if start <= as_utc(at) < end:
            counted[user] += 1
            if is_out_of_hours(at, zone=zone, hours=hours):
                late[user] += 1
    order = [user for user, _ in sorted(counted.items(), key=lambda item: (-item[1], item[0]))]
    return Fatigue(
        start=start,
        end=end,
        pages={user: counted[user] for user in order},
        out_of_hours={user: late[user] for user in order},
    )
