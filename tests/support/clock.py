"""The moment the tests' running clocks start at, chosen so no calendar duty is near."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import RunningClock

# A Wednesday noon in Seoul: working hours (the weekday pool is paged), a day or more from
# every calendar duty (Monday's digest and drill, Friday's handoff).
QUIET_START = datetime(2026, 10, 14, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def quiet_clock() -> RunningClock:
    """A clock that reads ``QUIET_START`` now and runs at real speed, for a bot in a test
    that needs time to pass (outbox retries, leases) but not a particular day."""
    return RunningClock(QUIET_START)
