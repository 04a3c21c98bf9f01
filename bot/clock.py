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


class RunningClock:
    """The machine's time moved so that it read ``start`` at the wall instant ``anchor``
    (default: when made); it then runs at real speed.

    ``serve`` and ``scheduler --clock-start``: a drill or a test starts the bot at a chosen
    moment of the calendar. Processes given the same start and anchor share one clock.
    """

    def __init__(self, start: datetime, *, anchor: datetime | None = None) -> None:
        if start.tzinfo is None or (anchor is not None and anchor.tzinfo is None):
            raise ValueError("RunningClock needs timezone-aware instants")
        self.start = start.astimezone(UTC)
        self.anchor = (anchor or datetime.now(UTC)).astimezone(UTC)
        self._offset = self.start - self.anchor

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def owed_since(since: datetime, not_before: datetime | None) -> datetime:
    """Where a calendar duty's look-back starts: ``since``, or just after ``not_before`` if
    that is later (``build_container``'s ``calendar_from``: nothing at or before it is owed)."""
    if not_before is None:
        return since
    return max(since, not_before + timedelta(microseconds=1))
