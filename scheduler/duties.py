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


def every(interval: timedelta, duty: Duty, *, tick: timedelta = timedelta(0)) -> Duty:
    """Run ``duty`` every ``interval`` of the ticks' clock, on the tick nearest each due time.

    Due times are anchored (each one ``interval`` after the last, not after the tick that ran
    it), and a tick up to half a ``tick`` early counts: a tick arriving at 29.99 s runs a
    30-second duty instead of skipping it to 60 s, so three probes 30 s apart take 60 s, not
    up to 120 s. A schedule that fell a whole interval behind (a stalled process) restarts
    from now rather than catching up in a burst.
    """
    early = tick / 2
    due: list[datetime] = []

    async def on_schedule(now: datetime) -> object:
        if due and now < due[0] - early:
            return None
        following = due[0] + interval if due else now + interval
        due[:] = [following if following > now else now + interval]
        return await duty(now)

    return on_schedule
