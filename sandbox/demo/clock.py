"""The demo's clock: the machine's time plus an offset that only ever grows.

The page's time controls move it forward ("skip 15 minutes", "next Friday 17:00"); the bot,
its scheduler, the emulator and the stand-in all read this one clock, so a skip is seen
everywhere at once and nothing reads the machine's clock behind its back. ``base`` is the
machine's clock, which Prometheus's samples follow; a test passes a fixed one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import Clock, SystemClock


class SkippableClock:
    """``now()`` is ``base.now()`` + ``offset``; ``skip``/``skip_to`` move it forward only."""

    def __init__(self, base: Clock | None = None) -> None:
        self.base: Clock = base or SystemClock()
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def skip(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (a negative delta would rewind: refused)."""
        if delta < timedelta(0):
            raise ValueError("the demo's clock only moves forward")
        self.offset += delta
        return self.now()

    def skip_to(self, instant: datetime) -> datetime:
        """Move forward to ``instant``; an instant already past leaves the clock as it is."""
        if instant.tzinfo is None:
            raise ValueError("skip_to needs a timezone-aware instant")
        return self.skip(max(instant - self.now(), timedelta(0)))
