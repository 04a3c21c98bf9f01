"""The scheduled SLO work: the channel digest and the status-change notices (SPEC §5).

The scheduler decides *when* and calls these with ``now``; what to post, and whether it was
posted already, is decided here. Every post is claimed first under a post key in the
database, so a second scheduler (or a retry) finds the claim and posts nothing; a post that
fails releases its claim, so the next tick tries again.

Choices:

- Late digests: a digest is due at the latest cron fire time at or before ``now``. One
  older than ``digest_grace`` (a day) is skipped, not posted late: after an outage nobody
  wants last Monday's numbers on Wednesday, and the next fire time brings fresh ones.
- Flapping: a status change is announced only once the budget is ``hysteresis_pct`` (1
  percentage point) past the boundary it crossed: healthy → warning at 19% left or less,
  back to healthy above 21% (likewise 0%: exhausted at −1%, out of it above 1%). So
  20.4% → 19.6% → 20.3% posts nothing and 18.9% posts "warning". No state beyond the last
  announced status is needed, and the notice always states the true current status.
- The first known status of an SLO is recorded silently (nothing to compare it with).
- Unknown is not a status change: an unknown evaluation neither posts nor replaces the last
  announced status, so a Prometheus blip does not post five notices and five more when it
  comes back. Missing data is still never hidden: ``/slo``, the digest and the deploy gate
  say "unknown" with the reason, and Prometheus's own meta-monitoring pages for it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.slo.budget import SloStatus, status_for
from bot.slo.chart import render_budget_chart
from bot.slo.definitions import SloDefinition
from bot.slo.evaluation import SloResult
from bot.slo.history import BudgetSeries, SloHistory, unknown_series
from bot.slo.service import SloSnapshot
from storage import posts
from storage.db import Database

log = logging.getLogger(__name__)

DIGEST_KIND = "slo-digest"
STATUS_KIND = "slo-status"
HYSTERESIS_PCT = 1.0
_RANK = {SloStatus.EXHAUSTED: 0, SloStatus.WARNING: 1, SloStatus.HEALTHY: 2}


@dataclass(frozen=True)
class Posted:
    """Where a message went."""

    channel: str
    ts: str


class SloNotifier(Protocol):
    """How the SLO duties reach people; Slack implements it in ``handlers/slo_notifier.py``."""

    async def post_digest(self, snapshot: SloSnapshot, *, chart: bytes | None) -> Posted:
        """Post the digest of ``snapshot`` with the budget chart (PNG bytes, None if absent)."""
        ...

    async def post_status_notice(self, result: SloResult, *, previous: SloStatus) -> Posted:
        """Tell the channel that ``result.name`` went from ``previous`` to ``result.status``."""
        ...


class SloSource(Protocol):
    """What the duties need of ``SloService``."""

    @property
    def definitions(self) -> list[SloDefinition]: ...

    async def snapshot(self, *, at: datetime | None = None) -> SloSnapshot: ...


def is_announced_change(previous: SloStatus, result: SloResult, *, margin: float) -> bool:
    """True when ``result`` is a real change from ``previous``: past the boundary by ``margin``."""
    left = result.budget_left_pct
    if previous is SloStatus.UNKNOWN or result.status is SloStatus.UNKNOWN or left is None:
        return False
    if result.status is previous:
        return False
    # Lean the value back towards the previous status; still different means a clear crossing.
    toward_previous = margin if _RANK[result.status] < _RANK[previous] else -margin
    return status_for(left + toward_previous) is not previous


def latest_fire_time(trigger: CronTrigger, *, now: datetime, since: datetime) -> datetime | None:
    """The last fire time of ``trigger`` in ``[since, now]``, or None."""
    last: datetime | None = None
    fire: datetime | None = trigger.get_next_fire_time(None, since)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last


class SloDuties:
    """The digest and status notices for one SLO digest channel."""

    def __init__(
        self,
        *,
        slo: SloSource,
        db: Database,
        notifier: SloNotifier,
        zone: ZoneInfo,
        digest_cron: str,
        history: SloHistory | None,
        digest_grace: timedelta = timedelta(days=1),
        hysteresis_pct: float = HYSTERESIS_PCT,
    ) -> None:
        self._slo = slo
        self._db = db
        self._notifier = notifier
        self._trigger = CronTrigger.from_crontab(digest_cron, timezone=zone)
        self._history = history
        self._grace = digest_grace
        self._margin = hysteresis_pct

    def digest_due(self, now: datetime) -> datetime | None:
        """The digest fire time that ``now`` should post for, if any (within the grace)."""
        return latest_fire_time(self._trigger, now=now, since=now - self._grace)

    async def digest_if_due(self, now: datetime) -> bool:
        """Post the digest for the latest due time unless it was posted; True if posted now."""
        due = self.digest_due(now)
        if due is None:
            return False
        key = f"{DIGEST_KIND}:{_iso(due)}"
        async with self._db.transaction() as session:
            claimed = await posts.claim(
                session, key=key, kind=DIGEST_KIND, subject="digest", at=now, detail={}
            )
        if not claimed:
            return False
        try:
            snapshot = await self._slo.snapshot(at=now)
            chart = await self._chart(snapshot)
            posted = await self._notifier.post_digest(snapshot, chart=chart)
        except BaseException:
            await self._release(key)
            raise
        await self._mark(key, posted)
        return True

    async def _chart(self, snapshot: SloSnapshot) -> bytes | None:
        """The PNG, or None if drawing it failed: the numbers go out without a picture."""
        try:
            series = await self._series(snapshot)
            return await asyncio.to_thread(render_budget_chart, series, at=snapshot.at)
        except Exception:
            log.exception("could not draw the SLO budget chart; posting the digest without it")
            return None

    async def _series(self, snapshot: SloSnapshot) -> list[BudgetSeries]:
        """Budget history per SLO; an SLO unknown now is unknown in the chart too."""
        slos = self._slo.definitions
        if self._history is None:
            series = unknown_series(slos, "PROMETHEUS_URL is not set")
        else:
            series = await self._history.budget_all(slos, end=snapshot.at)
        current = {result.name: result for result in snapshot.results}
        return [_agree(item, current.get(item.name)) for item in series]

    async def check_status_changes(self, now: datetime) -> int:
        """Evaluate every SLO and announce each real status change once; returns how many."""
        snapshot = await self._slo.snapshot(at=now)
        announced = 0
        for result in snapshot.results:
            if result.status is SloStatus.UNKNOWN:
                continue
            if await self._announce_if_changed(result, now):
                announced += 1
        return announced

    async def _announce_if_changed(self, result: SloResult, now: datetime) -> bool:
        detail = {"status": result.status.value, "budget_left_pct": result.budget_left_pct}
        async with self._db.transaction() as session:
            last = await posts.latest(session, kind=STATUS_KIND, subject=result.name)
            if last is None:
                await posts.claim(
                    session,
                    key=f"{STATUS_KIND}:{result.name}:first",
                    kind=STATUS_KIND,
                    subject=result.name,
                    at=now,
                    detail={**detail, "silent": True},
                )
                return False
            previous = SloStatus(str(last.detail.get("status", SloStatus.UNKNOWN.value)))
            if not is_announced_change(previous, result, margin=self._margin):
                return False
            # Derived from the row it replaces: two schedulers seeing the same change agree on it.
            key = f"{STATUS_KIND}:{result.name}:{_iso(last.claimed_at)}:{result.status.value}"
            claimed = await posts.claim(
                session,
                key=key,
                kind=STATUS_KIND,
                subject=result.name,
                at=now,
                detail={**detail, "previous": previous.value},
            )
        if not claimed:
            return False
        try:
            posted = await self._notifier.post_status_notice(result, previous=previous)
        except BaseException:
            await self._release(key)
            raise
        await self._mark(key, posted)
        return True

    async def _mark(self, key: str, posted: Posted) -> None:
        async with self._db.transaction() as session:
            await posts.mark_posted(session, key=key, channel=posted.channel, ts=posted.ts)

    async def _release(self, key: str) -> None:
        """Forget a claim whose post failed, so the next tick posts it."""
        try:
            async with self._db.transaction() as session:
                row = await posts.get(session, key)
                if row is not None:
                    await session.delete(row)
        except Exception:
            log.exception("could not release the post key %s; that post is skipped", key)


def _agree(item: BudgetSeries, result: SloResult | None) -> BudgetSeries:
    if result is not None and result.status is SloStatus.UNKNOWN:
        return item.as_unknown(result.reason or "unknown")
    return item


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
