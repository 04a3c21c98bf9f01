"""Time as the domain sees it: injected, so tests move a clock instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests and drills."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


def owed_since(since: datetime, not_before: datetime | None) -> datetime:
    """Where a calendar duty's look-back starts: ``since``, or just after ``not_before`` if
    that is later (``build_container``'s ``calendar_from``: nothing at or before it is owed)."""
    if not_before is None:
        return since
    return max(since, not_before + timedelta(microseconds=1))
