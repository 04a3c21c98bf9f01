"""On-call as the product runs it: the rotation plus stored overrides, handoffs and fatigue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import InvalidInput, NotAuthorized
from bot.incidents.model import Incident
from bot.incidents.service import IncidentService
from bot.oncall.fatigue import Fatigue, fatigue
from bot.oncall.hours import Pool
from bot.oncall.overrides import Override, active_override, new_override, parse_until
from bot.oncall.posts import OverrideNotice
from bot.oncall.rotation import Rotation, WeekPlan
from bot.outbox.owing import owe_one
from bot.people import UserDirectory
from bot.settings import SreConfig
from storage import oncall as rows
from storage.audit import add_audit
from storage.db import Database
from storage.oncall import OverrideRow


@dataclass(frozen=True)
class OnCallNow:
    at: datetime
    paged: str
    pool: Pool
    weekday: str
    weekend: str
    out_of_hours: bool
    overrides: list[Override]
    next_handoff: datetime


@dataclass(frozen=True)
class FatigueReport:
    """Pages in the last completed shift (one rotation week) and how fast they were acked."""

    start: datetime
    end: datetime
    fatigue: Fatigue
    acknowledged: int
    mtta: timedelta | None


class OncallService:
    def __init__(
        self,
        *,
        db: Database,
        config: SreConfig,
        clock: Clock,
        incidents: IncidentService,
        rotation: Rotation | None = None,
        owed: Callable[[], None] = lambda: None,
    ) -> None:
        """``incidents`` answers the fatigue report's question: who was paged, when;
        ``owed`` is told after an override owed its announcement (the outbox's kick)."""
        self._owed = owed
        self._db = db
        self._incidents = incidents
        self._config = config
        self._clock = clock
        self.rotation = rotation or Rotation.from_config(config)

    @property
    def configured(self) -> bool:
        return bool(self._config.oncall.weekday or self._config.oncall.weekend)

    def _require_configured(self) -> None:
        if not (self._config.oncall.weekday and self._config.oncall.weekend):
            raise InvalidInput(
                "No rotation is configured: list Slack user IDs under oncall.weekday and "
                "oncall.weekend in sre.yaml."
            )

    async def overrides(self, *, at: datetime | None = None) -> list[Override]:
        """Overrides still running or yet to come at ``at``."""
        moment = at or self._clock.now()
        async with self._db.transaction() as session:
            stored = await rows.overrides_ending_after(session, moment)
        return [
            Override(
                pool=Pool(row.pool),
                user=row.user_id,
                start=row.starts_at,
                end=row.ends_at,
                created_by=row.created_by,
                reason=row.reason,
                created_at=row.created_at,
            )
            for row in stored
        ]

    async def now(self, *, at: datetime | None = None) -> OnCallNow:
        self._require_configured()
        moment = at or self._clock.now()
        overrides = await self.overrides(at=moment)
        return OnCallNow(
            at=moment,
            paged=self.rotation.who_is_paged(moment, overrides),
            pool=self.rotation.pool_at(moment),
            weekday=self.rotation.who_is_on_call(Pool.WEEKDAY, moment, overrides),
            weekend=self.rotation.who_is_on_call(Pool.WEEKEND, moment, overrides),
            out_of_hours=self.rotation.is_out_of_hours(moment),
            overrides=[o for o in overrides if o.start <= moment],
            next_handoff=self.rotation.next_handoffs(moment, 1)[0],
        )

    async def who_is_paged(self, at: datetime) -> str | None:
        """Who a page at ``at`` goes to; None when no rotation is configured."""
        if not (self._config.oncall.weekday and self._config.oncall.weekend):
            return None
        return self.rotation.who_is_paged(at, await self.overrides(at=at))

    async def on_call(self, pool: Pool, at: datetime) -> str | None:
        if not self.rotation.people(pool):
            return None
        return self.rotation.who_is_on_call(pool, at, await self.overrides(at=at))

    def schedule(self, *, weeks: int = 4) -> list[WeekPlan]:
        self._require_configured()
        return self.rotation.schedule(self._clock.now(), weeks=weeks)

    async def override(
        self, *, user: str, until: str, actor: str, pool: str | None, directory: UserDirectory
    ) -> Override:
        """``user`` takes over ``pool`` (default: the pool paged now) until ``until``; audited."""
        self._require_configured()
        now = self._clock.now()
        members = set(self._config.oncall.weekday) | set(self._config.oncall.weekend)
        if actor not in members:
            raise NotAuthorized(
                "Only people in the weekday or weekend rotation can set an override."
            )
        if not await directory.exists(user):
            raise InvalidInput(f"There is no user {user} in this workspace.")
        end = parse_until(until, now=now, zone=self._config.zone)
        chosen = pool or self.rotation.pool_at(now).value
        override = new_override(
            pool=chosen, user=user, start=now, end=end, created_by=actor, reason="", now=now
        )
        # Whom it replaces: the override of the pool in force now, else the rotation's person.
        earlier = active_override(override.pool, now, await self.overrides(at=now))
        replaces = earlier.user if earlier else self.rotation.who_is_on_call(override.pool, now)
        channel = self._config.channels.oncall
        async with self._db.transaction() as session:
            rows.add_override(
                session,
                OverrideRow(
                    pool=override.pool.value,
                    user_id=override.user,
                    starts_at=override.start,
                    ends_at=override.end,
                    created_by=actor,
                    created_at=now,
                    reason=override.reason,
                ),
            )
            await add_audit(
                session,
                at=now,
                actor=actor,
                action="oncall.override",
                subject=f"oncall:{override.pool.value}",
                detail={"user": user, "until": end.isoformat()},
            )
            if channel:
                notice = OverrideNotice(
                    key=f"override:{override.pool.value}:{now.isoformat()}:{user}",
                    subject=f"oncall:{override.pool.value}",
                    channel=channel,
                    pool=override.pool.value,
                    user=user,
                    until=end,
                    by=actor,
                    replaces=replaces,
                    replaces_override=earlier is not None,
                )
                await owe_one(session, notice, at=now)
        if channel:
            self._owed()
        return override

    async def group_members(self, *, at: datetime | None = None) -> list[str]:
        """Who the on-call user group should hold: both pools' current on-call."""
        moment = at or self._clock.now()
        people = [await self.on_call(pool, moment) for pool in (Pool.WEEKDAY, Pool.WEEKEND)]
        return list(dict.fromkeys(p for p in people if p))

    async def fatigue_report(self, *, at: datetime | None = None) -> FatigueReport:
        """The last completed rotation week: pages per person, out-of-hours pages, MTTA."""
        self._require_configured()
        moment = at or self._clock.now()
        week = self.rotation.week_at(moment)
        start, end = self.rotation.handoff_at(week - 1), self.rotation.handoff_at(week)
        incidents = await self._incidents_between(start, end)
        overrides = await self.overrides(at=start)
        pages = [
            (i.created_at, self.rotation.who_is_paged(i.created_at, overrides)) for i in incidents
        ]
        acked = [i for i in incidents if i.acknowledged_at]
        mtta = None
        if acked:
            total = sum(
                ((i.acknowledged_at - i.created_at) for i in acked if i.acknowledged_at),
                timedelta(),
            )
            mtta = total / len(acked)
        return FatigueReport(
            start=start,
            end=end,
            fatigue=fatigue(pages, start, end, self._config.zone),
            acknowledged=len(acked),
            mtta=mtta,
        )

    async def _incidents_between(self, start: datetime, end: datetime) -> Sequence[Incident]:
        found = await self._incidents.list_incidents(active_only=False, since=start, limit=None)
        return [incident for incident in found if incident.created_at < end]
