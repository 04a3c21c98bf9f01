"""The scheduled SLO work: the channel digest and the status-change notices.

The scheduler decides *when* and calls these with ``now``; what to post, and whether it was
owed already, is decided here. Every post is owed to the outbox under a key, so a second
scheduler (or a retry) finds it owed and adds nothing; the outbox delivers it, through
Slack outages, exactly once. What a post shows is read when it is delivered, as of the
instant it was decided (``digest_content``, ``notice_content``).

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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.clock import owed_since
from bot.outbox.model import PostKind
from bot.outbox.owing import owe_one, read_row, record
from bot.slo.budget import SloStatus, status_for
from bot.slo.chart import render_budget_chart
from bot.slo.definitions import SloDefinition
from bot.slo.evaluation import SloResult
from bot.slo.history import BudgetSeries, SloHistory, unknown_series
from bot.slo.posts import SloDigest, SloStatusNotice
from bot.slo.service import SloSnapshot
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)

DIGEST_KEY = "slo-digest"
STATUS_KEY = "slo-status"
"""The keys' first words, kept from before posts had kinds of their own."""
HYSTERESIS_PCT = 1.0
_RANK = {SloStatus.EXHAUSTED: 0, SloStatus.WARNING: 1, SloStatus.HEALTHY: 2}


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
        channel: str,
        zone: ZoneInfo,
        digest_cron: str | None,
        history: SloHistory | None,
        digest_grace: timedelta = timedelta(days=1),
        hysteresis_pct: float = HYSTERESIS_PCT,
        not_before: datetime | None = None,
        owed: Callable[[], None] = lambda: None,
    ) -> None:
        """``owed`` is told after a post is owed and committed (``bot.work.Wakeup``)."""
        self._slo = slo
        self._db = db
        self._channel = channel
        self._owed = owed
        # ``slo_digest: off`` (None): never due.
        self._trigger = (
            None if digest_cron is None else CronTrigger.from_crontab(digest_cron, timezone=zone)
        )
        self._history = history
        self._grace = digest_grace
        self._margin = hysteresis_pct
        self._not_before = not_before

    def digest_due(self, now: datetime) -> datetime | None:
        """The digest fire time that ``now`` should post for, if any (within the grace, and
        after ``not_before``)."""
        if self._trigger is None:
            return None
        since = owed_since(now - self._grace, self._not_before)
        return latest_fire_time(self._trigger, now=now, since=since)

    async def digest_if_due(self, now: datetime) -> bool:
        """Post the digest for the latest due time unless it was posted; True if posted now."""
        due = self.digest_due(now)
        if due is None:
            return False
        digest = SloDigest(
            key=f"{DIGEST_KEY}:{_iso(due)}", subject="digest", channel=self._channel, at=now
        )
        async with self._db.transaction() as session:
            owed = await owe_one(session, digest, at=now)
        if owed:
            self._owed()
        return owed

    async def digest_content(self, *, at: datetime) -> tuple[SloSnapshot, bytes | None]:
        """What the digest decided at ``at`` shows: every SLO then, and the budget chart."""
        snapshot = await self._slo.snapshot(at=at)
        return snapshot, await self._chart(snapshot)

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
        async with self._db.transaction() as session:
            last = await outbox.latest(session, kind=PostKind.SLO_STATUS, subject=result.name)
            if last is None:
                # The first status seen is recorded, not announced: nothing to compare it with.
                first = SloStatusNotice(
                    key=f"{STATUS_KEY}:{result.name}:first", subject=result.name, result=result
                )
                await record(session, first, at=now)
                return False
            previous = read_row(SloStatusNotice, last).result.status
            if not is_announced_change(previous, result, margin=self._margin):
                return False
            # Derived from the row it replaces: two schedulers seeing the same change agree on it.
            notice = SloStatusNotice(
                key=f"{STATUS_KEY}:{result.name}:{_iso(last.claimed_at)}:{result.status.value}",
                subject=result.name,
                channel=self._channel,
                result=result,
                previous=previous,
            )
            owed = await owe_one(session, notice, at=now)
        if owed:
            self._owed()
        return owed


def _agree(item: BudgetSeries, result: SloResult | None) -> BudgetSeries:
    if result is not None and result.status is SloStatus.UNKNOWN:
        return item.as_unknown(result.reason or "unknown")
    return item


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
