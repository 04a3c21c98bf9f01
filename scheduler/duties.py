"""Everything the scheduler does on a tick, in order; one failing duty never stops the rest."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.logs import FailureSummary

log = logging.getLogger(__name__)

Duty = Callable[[datetime], Awaitable[object]]


class Duties:
    def __init__(self, duties: Sequence[tuple[str, Duty]]) -> None:
        self._duties = list(duties)
        # A duty failing every tick (Slack down) is one line, then a count every 5 minutes.
        self._failures = {
            name: FailureSummary(log, f"duty {name!r}", state="failing") for name, _ in duties
        }

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._duties]

    async def tick(self, now: datetime) -> dict[str, object]:
        """Run each duty for ``now``; returns what each reported (or the error it raised)."""
        outcome: dict[str, object] = {}
        for name, duty in self._duties:
            try:
                outcome[name] = await duty(now)
            except Exception as exc:
                why = f"failed at {now.isoformat()}: {type(exc).__name__}: {exc}"
                self._failures[name].failed(why, error=exc)
                outcome[name] = exc
            else:
                self._failures[name].recovered()
        return outcome


def every(interval: timedelta, duty: Duty) -> Duty:
    """Run ``duty`` at most once per ``interval`` of the ticks' clock."""
    last: list[datetime] = []

    async def throttled(now: datetime) -> object:
        if last and now - last[0] < interval:
            return None
        last[:] = [now]
        return await duty(now)

    return throttled
