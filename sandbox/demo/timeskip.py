"""Where the page's time controls move the demo's clock: 15 minutes on, the next handoff,
the next SLO digest, the next runbook drill. Targets are read from the demo's ``sre.yaml`` so
they match what the scheduler will find due, and land a second past the moment so it is due,
not nearly due. The demo starts with nothing of the calendar owed (``wiring.build_bot``), so
these skips are how a visitor asks for the handoff, the digest or the drill."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from apscheduler.triggers.cron import CronTrigger

from bot.settings import SreConfig
from sandbox.demo.clock import SkippableClock

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
PAST_THE_MOMENT = timedelta(seconds=1)
QUARTER_HOUR = timedelta(minutes=15)


class Skip(StrEnum):
    QUARTER_HOUR = "15m"
    HANDOFF = "handoff"
    DIGEST = "digest"
    DRILL = "drill"


@dataclass(frozen=True)
class SkipTarget:
    """A button of the page's time controls, and where it would move the clock now."""

    skip: Skip
    label: str
    at: datetime


def next_handoff(now: datetime, config: SreConfig) -> datetime:
    """The first handoff (``oncall.handoff``, e.g. ``FRI 17:00`` local) after ``now``."""
    day, clock = config.oncall.handoff.split()
    hour, minute = (int(part) for part in clock.split(":"))
    local = now.astimezone(config.zone)
    days_ahead = (_WEEKDAYS.index(day) - local.weekday()) % 7
    # Wall-clock arithmetic on a zoned datetime: 17:00 stays 17:00 across a DST change.
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    candidate += timedelta(days=days_ahead)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate


def next_digest(now: datetime, config: SreConfig) -> datetime | None:
    """The SLO digest's next fire time (``schedule.slo_digest``, cron in local time), or
    None when the digest is off."""
    return _next_fire(now, config.schedule.slo_digest, "schedule.slo_digest", config)


def next_drill(now: datetime, config: SreConfig) -> datetime | None:
    """The runbook drill's next fire time (``schedule.runbook_drill``: a first Monday), or
    None when the drill is off."""
    return _next_fire(now, config.schedule.runbook_drill, "schedule.runbook_drill", config)


def _next_fire(now: datetime, cron: str | None, key: str, config: SreConfig) -> datetime | None:
    if cron is None:
        return None
    trigger = CronTrigger.from_crontab(cron, timezone=config.zone)
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    if fire is None:  # a cron expression always fires again; kept for the type checker
        raise ValueError(f"{key} {cron!r} never fires")
    return fire


def targets(now: datetime, config: SreConfig) -> list[SkipTarget]:
    """The skips the page offers, each with the instant it would move to (none for a duty
    that is off)."""
    handoff = next_handoff(now, config)
    digest = next_digest(now, config)
    drill = next_drill(now, config)
    offered = [
        SkipTarget(Skip.QUARTER_HOUR, "Skip 15 minutes", now + QUARTER_HOUR),
        SkipTarget(Skip.HANDOFF, f"Next handoff ({_local(handoff, config)})", handoff),
    ]
    if digest is not None:
        offered.append(
            SkipTarget(Skip.DIGEST, f"Next SLO digest ({_local(digest, config)})", digest)
        )
    if drill is not None:
        offered.append(
            SkipTarget(Skip.DRILL, f"Next runbook drill ({_local(drill, config)})", drill)
        )
    return offered


def move(clock: SkippableClock, skip: Skip, config: SreConfig) -> datetime:
    """Move the clock as ``skip`` says; returns the new now. A skip to a duty that is off
    raises ValueError and moves nothing."""
    if skip is Skip.QUARTER_HOUR:
        return clock.skip(QUARTER_HOUR)
    for target in targets(clock.now(), config):
        if target.skip is skip:
            return clock.skip_to(target.at + PAST_THE_MOMENT)
    raise ValueError(f"{skip.value}: that duty is off in this configuration")


def _local(instant: datetime, config: SreConfig) -> str:
    return instant.astimezone(config.zone).strftime("%a %d %b %H:%M %Z")
