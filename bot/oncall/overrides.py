"""Overrides (someone covers a pool for a while) and reading the "until" a person types.

Pure: storage keeps the rows, the rotation asks ``active_override`` which one applies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.oncall.hours import Pool, as_utc, local_day, local_instant
from bot.slack_ids import USER_ID

MAX_OVERRIDE = timedelta(days=14)
REASON_MAX = 500

_RELATIVE = re.compile(r"^\+\s*((?:\d+\s*[smhdw]\s*)+)$")
_RELATIVE_PART = re.compile(r"(\d+)\s*([smhdw])")
_DATE_TIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|t)(\d{1,2}):(\d{2})$")
_TIME = re.compile(r"^(?:(today|tomorrow)\s+)?(\d{1,2}):(\d{2})$")
_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_EXAMPLES = "`2026-11-27 18:00`, `18:00`, `tomorrow 09:00` or `+4h`"


@dataclass(frozen=True)
class Override:
    """``user`` takes ``pool`` for ``[start, end)`` (UTC); ``created_at`` decides between
    overlapping overrides: the latest created wins."""

    pool: Pool
    user: str
    start: datetime
    end: datetime
    created_by: str
    reason: str
    created_at: datetime

    def covers(self, pool: Pool, at: datetime) -> bool:
        return self.pool == pool and self.start <= at < self.end


def active_override(pool: Pool, at: datetime, overrides: Sequence[Override]) -> Override | None:
    """The override of ``pool`` in force at ``at``: the latest created among those covering it
    (on equal ``created_at``, the later in ``overrides``)."""
    covering = [(o.created_at, index, o) for index, o in enumerate(overrides) if o.covers(pool, at)]
    return max(covering, key=lambda entry: (entry[0], entry[1]))[2] if covering else None


def new_override(
    *,
    pool: str,
    user: str,
    start: datetime,
    end: datetime,
    created_by: str,
    reason: str,
    now: datetime,
) -> Override:
    """A checked override: a known pool, a Slack user, a period ending after now and at most
    14 days ahead. Raises InvalidInput saying what to change."""
    try:
        chosen = Pool(pool.strip().lower())
    except ValueError:
        raise InvalidInput(f"Unknown rotation {pool!r}: use weekday or weekend.") from None
    for who, what in ((user, "user"), (created_by, "requester")):
        if not USER_ID.match(who):
            raise InvalidInput(f"{who!r} is not a Slack user ID for the {what} (e.g. U0AAA).")
    start, end, now = as_utc(start), as_utc(end), as_utc(now)
    if end <= start:
        raise InvalidInput("An override must end after it starts.")
    if end <= now:
        raise InvalidInput("That override would already be over: give an end in the future.")
    if end - now > MAX_OVERRIDE:
        raise InvalidInput("Overrides may reach at most 14 days ahead; add another one later.")
    cleaned = reason.strip()
    if len(cleaned) > REASON_MAX:
        raise InvalidInput(f"The reason is {len(cleaned):,} characters; the limit is {REASON_MAX}.")
    return Override(
        pool=chosen,
        user=user,
        start=start,
        end=end,
        created_by=created_by,
        reason=cleaned,
        created_at=now,
    )


def parse_until(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant an override ends, from ``2026-11-27 18:00``, ``18:00`` (the next one,
    today or tomorrow), ``today 18:00``, ``tomorrow 09:00`` or ``+4h`` / ``+1d12h``, local to
    ``zone``. Past, unreadable or more than 14 days away → InvalidInput naming the problem."""
    now = as_utc(now)
    cleaned = " ".join(text.strip().lower().split())
    until = _read(cleaned, text, now=now, zone=zone)
    shown = f"{until.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"
    if until <= now:
        raise InvalidInput(
            f"{text.strip()!r} means {shown}, which is not in the future "
            f"(it is now {now.astimezone(zone):%Y-%m-%d %H:%M})."
        )
    if until - now > MAX_OVERRIDE:
        limit = (now + MAX_OVERRIDE).astimezone(zone)
        raise InvalidInput(
            f"{text.strip()!r} means {shown}, more than 14 days away: an override may last "
            f"until {limit:%Y-%m-%d %H:%M} at the latest."
        )
    return until


def _read(cleaned: str, original: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    if match := _RELATIVE.match(cleaned):
        parts = _RELATIVE_PART.findall(match.group(1))
        total = sum((int(amount) * _UNITS[unit] for amount, unit in parts), timedelta())
        if total <= timedelta():
            raise InvalidInput(f"{original.strip()!r}: a relative end must be more than zero.")
        return now + total
    if match := _DATE_TIME.match(cleaned):
        year, month, day, hour, minute = (int(part) for part in match.groups())
        try:
            when = date(year, month, day)
        except ValueError:
            raise InvalidInput(
                f"{original.strip()!r}: {year:04d}-{month:02d}-{day:02d} is not a date."
            ) from None
        return local_instant(when, _wall(hour, minute, original), zone)
    if match := _TIME.match(cleaned):
        word, hour, minute = match.group(1), int(match.group(2)), int(match.group(3))
        wall = _wall(hour, minute, original)
        today = local_day(now, zone)
        if word == "tomorrow":
            return local_instant(today + timedelta(days=1), wall, zone)
        until = local_instant(today, wall, zone)
        if word is None and until <= now:
            until = local_instant(today + timedelta(days=1), wall, zone)
        return until
    raise InvalidInput(
        f"Could not read {original.strip()!r} as an end time: write e.g. {_EXAMPLES}."
    )


def _wall(hour: int, minute: int, original: str) -> time:
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{original.strip()!r}: {hour}:{minute:02d} is not a time of day.")
    return time(hour, minute)
