"""The weekly on-call rotation: who holds each pool's pager, and who is paged, at any instant.

Week ``k`` runs from handoff ``H(k)`` to ``H(k+1)``; both pools hand over at the same handoff
and pool member ``k mod len(pool)`` holds week ``k`` (list order is rotation order). Week 0
starts at the first handoff on or after ``ANCHOR`` (Monday 2024-01-01, local date): with the
default "FRI 17:00" that is Friday 2024-01-05 17:00 local. Weeks before it are negative.

A Monday belongs to the week whose handoff preceded it: week ``k`` (from Friday 17:00) is
paged first by its weekend person (Friday 17:00 → Monday 09:00), then by its weekday person
(Monday 09:00 → Friday 17:00, which is ``H(k+1)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import ConfigurationError
from bot.oncall.hours import (
    WORKING_HOURS,
    Handoff,
    Pool,
    WorkingHours,
    as_utc,
    is_out_of_hours,
    local_day,
    local_instant,
    paged_pool,
    paging_periods,
)
from bot.oncall.overrides import Override, active_override
from bot.settings import SreConfig

ANCHOR = date(2024, 1, 1)


@dataclass(frozen=True)
class Shift:
    """One pool's week: who holds its pager from ``start`` to ``end`` (UTC instants)."""

    pool: Pool
    user: str
    week: int
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """Real elapsed time: 167 or 169 h across a DST change, otherwise 168 h."""
        return self.end - self.start


@dataclass(frozen=True)
class Coverage:
    """A period in which ``user`` of ``pool`` is the one paged; UTC and local ends both."""

    pool: Pool
    user: str
    start: datetime
    end: datetime
    start_local: datetime
    end_local: datetime


@dataclass(frozen=True)
class WeekPlan:
    """One rotation week: its people and, in order, who is paged when."""

    week: int
    start: datetime
    end: datetime
    start_local: datetime
    end_local: datetime
    weekday: str
    weekend: str
    coverage: tuple[Coverage, ...]


class Rotation:
    """The rotation as a pure function of the instant; build once from the configuration."""

    def __init__(
        self,
        *,
        weekday: Sequence[str],
        weekend: Sequence[str],
        zone: ZoneInfo,
        handoff: str = "FRI 17:00",
        anchor: date = ANCHOR,
        hours: WorkingHours = WORKING_HOURS,
    ) -> None:
        self.zone = zone
        self.handoff = Handoff.parse(handoff)
        self.hours = hours
        self._people = {Pool.WEEKDAY: tuple(weekday), Pool.WEEKEND: tuple(weekend)}
        # The date of week 0's handoff: the first handoff weekday on or after the anchor.
        self.anchor_day = anchor + timedelta(days=(self.handoff.weekday - anchor.weekday()) % 7)

    @classmethod
    def from_config(cls, config: SreConfig, *, anchor: date = ANCHOR) -> Rotation:
        return cls(
            weekday=config.oncall.weekday,
            weekend=config.oncall.weekend,
            zone=config.zone,
            handoff=config.oncall.handoff,
            anchor=anchor,
        )

    def people(self, pool: Pool) -> tuple[str, ...]:
        return self._people[Pool(pool)]

    def person(self, pool: Pool, week: int) -> str:
        """Who holds ``pool`` in rotation week ``week``."""
        people = self.people(pool)
        if not people:
            raise ConfigurationError(
                f"No one is in the {Pool(pool).value} rotation: list Slack user IDs under "
                f"oncall.{Pool(pool).value} in sre.yaml."
            )
        return people[week % len(people)]

    def handoff_at(self, week: int) -> datetime:
        """The UTC instant at which week ``week`` begins (its local handoff wall time)."""
        day = self.anchor_day + timedelta(weeks=week)
        return local_instant(day, self.handoff.at, self.zone)

    def week_at(self, at: datetime) -> int:
        """The rotation week in progress at ``at``: ``handoff_at(k) <= at < handoff_at(k+1)``."""
        instant = as_utc(at)
        week = (local_day(instant, self.zone) - self.anchor_day).days // 7
        while self.handoff_at(week) > instant:
            week -= 1
        while self.handoff_at(week + 1) <= instant:
            week += 1
        return week

    def handoffs_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Every handoff in ``[start, end)``, as UTC instants, in order."""
        start, end = as_utc(start), as_utc(end)
        week = self.week_at(start)
        if self.handoff_at(week) < start:
            week += 1
        handoffs = []
        while (instant := self.handoff_at(week)) < end:
            handoffs.append(instant)
            week += 1
        return handoffs

    def next_handoffs(self, after: datetime, count: int) -> list[datetime]:
        """The ``count`` handoffs strictly after ``after``, as UTC instants."""
        first = self.week_at(after) + 1
        return [self.handoff_at(week) for week in range(first, first + count)]

    def shift(self, pool: Pool, at: datetime) -> Shift:
        """``pool``'s rotation week in progress at ``at`` (overrides not applied)."""
        week = self.week_at(at)
        return Shift(
            pool=Pool(pool),
            user=self.person(pool, week),
            week=week,
            start=self.handoff_at(week),
            end=self.handoff_at(week + 1),
        )

    def pool_at(self, at: datetime) -> Pool:
        """The pool paged at ``at``: weekday Monday 09:00 → Friday 17:00 local, else weekend."""
        return paged_pool(at, zone=self.zone, hours=self.hours)

    def is_out_of_hours(self, at: datetime) -> bool:
        """True outside Mon–Fri 09:00–17:00 local time."""
        return is_out_of_hours(at, zone=self.zone, hours=self.hours)

    def who_is_on_call(self, pool: Pool, at: datetime, overrides: Sequence[Override] = ()) -> str:
        """Who holds ``pool`` at ``at``: an override of that pool covering ``at`` (the latest
        created wins), otherwise the rotation's person for the week."""
        override = active_override(Pool(pool), as_utc(at), overrides)
        if override is not None:
            return override.user
        return self.person(pool, self.week_at(at))

    def who_is_paged(self, at: datetime, overrides: Sequence[Override] = ()) -> str:
        """The one person a page at ``at`` goes to."""
        return self.who_is_on_call(self.pool_at(at), at, overrides)

    def schedule(self, start: datetime, weeks: int = 4) -> list[WeekPlan]:
        """``weeks`` rotation weeks from the one in progress at ``start`` (overrides not
        applied), each with both people and the periods each is paged."""
        first = self.week_at(start)
        return [self._plan(week) for week in range(first, first + weeks)]

    def _plan(self, week: int) -> WeekPlan:
        begins, ends = self.handoff_at(week), self.handoff_at(week + 1)
        coverage = tuple(
            Coverage(
                pool=pool,
                user=self.person(pool, week),
                start=since,
                end=until,
                start_local=since.astimezone(self.zone),
                end_local=until.astimezone(self.zone),
            )
            for pool, since, until in paging_periods(begins, ends, zone=self.zone, hours=self.hours)
        )
        return WeekPlan(
            week=week,
            start=begins,
            end=ends,
            start_local=begins.astimezone(self.zone),
            end_local=ends.astimezone(self.zone),
            weekday=self.person(Pool.WEEKDAY, week),
            weekend=self.person(Pool.WEEKEND, week),
            coverage=coverage,
        )
