"""A clock for whole processes under test: it reads a chosen instant when made and then
runs forward at real speed, so a scheduler process can be started "at" any moment."""

from __future__ import annotations

from datetime import UTC, datetime


class RunningClock:
    """Real time, shifted so that it read ``start`` when it was made."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("RunningClock needs a timezone-aware start")
        self._offset = start.astimezone(UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset
