"""Handoffs: owed at every handoff and on request, confirmed by the incoming on-call.

Each post is owed to the outbox (``storage/outbox.py``) with who hands over to whom; the
message itself is composed when it is delivered (``compose``), as of the handoff instant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import Clock, owed_since
from bot.errors import HINT, Hint, InvalidInput, NotAuthorized, SreError
from bot.incidents.service import IncidentService
from bot.oncall.handoff_message import (
    HandoffMessage,
    HandoffNotifier,
    PoolHandoff,
    order_open_incidents,
)
from bot.oncall.hours import Pool
from bot.oncall.posts import (
    Handoff,
    HandoffConfirmed,
    HandoffReminder,
    HandoffUpdate,
    OncallProblem,
)
from bot.oncall.service import OncallService
from bot.outbox.model import PostKind
from bot.outbox.owing import owe_one, read_row, record
from bot.settings import SreConfig
from bot.slo.service import SloService
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)

LATE_LIMIT = timedelta(hours=6)
_TICK = timedelta(seconds=1)


class HandoffService:
    def __init__(
        self,
        *,
        db: Database,
        config: SreConfig,
        clock: Clock,
        oncall: OncallService,
        incidents: IncidentService,
        slo: SloService | None,
        notifier: HandoffNotifier | None,
        not_before: datetime | None = None,
        owed: Callable[[], None] = lambda: None,
    ) -> None:
        """``owed`` is told after a post is owed and committed (``bot.work.Wakeup``)."""
        self._db = db
        self._config = config
        self._clock = clock
        self._oncall = oncall
        self._incidents = incidents
        self._slo = slo
        self._notifier = notifier
        self._not_before = not_before
        self._owed = owed

    async def compose(
        self, *, at: datetime, key: str, confirmed_by: str | None = None
    ) -> HandoffMessage:
        """The handoff at instant ``at``: who had each pool just before, who has it from then."""
        rotation = self._oncall.rotation
        before = at - _TICK
        overrides = await self._oncall.overrides(at=before)
        pools = []
        plan = rotation.schedule(at, weeks=1)[0]
        for pool in (Pool.WEEKEND, Pool.WEEKDAY):
            incoming_shift = rotation.shift(pool, at)
            pools.append(
                PoolHandoff(
                    pool=pool,
                    outgoing=rotation.who_is_on_call(pool, before, overrides),
                    incoming=rotation.who_is_on_call(pool, at, overrides),
                    coverage=[
                        c for c in plan.coverage if c.pool == pool and c.end > incoming_shift.start
                    ],
                )
            )
        snapshot = None
        if self._slo is not None:
            try:
                snapshot = await self._slo.snapshot()
            except Exception:
                log.exception("SLO status unavailable for the handoff message")
        try:
            fatigue = await self._oncall.fatigue_report(at=at)
        except InvalidInput:
            fatigue = None
        return HandoffMessage(
            key=key,
            at=at,
            pools=pools,
            incoming_paged=rotation.who_is_paged(at, overrides),
            outgoing_paged=rotation.who_is_paged(before, overrides),
            open_incidents=order_open_incidents(await self._incidents.list_incidents(limit=None)),
            slo=snapshot,
            next_handoffs=rotation.next_handoffs(at, 2),
            fatigue=fatigue,
            confirmed_by=confirmed_by,
        )

    async def post_due(self, now: datetime) -> bool:
        """Post the latest handoff at or before ``now`` once; one more than 6 h late, or at or
        before ``not_before``, is skipped. With ``schedule.handoff_message`` off it is recorded
        as done, unposted; the user group follows the rotation either way."""
        if not self._oncall.configured or self._notifier is None:
            return False
        since = owed_since(now - LATE_LIMIT, self._not_before)
        recent = self._oncall.rotation.handoffs_between(since, now + _TICK)
        if not recent:
            return False
        at = recent[-1]
        silent = not self._config.schedule.handoff_message
        posted = await self._owe(at=at, key=f"handoff:{at.isoformat()}", silent=silent)
        if posted:
            await self.sync_user_group()
        return posted

    async def preview(self) -> HandoffMessage:
        """The coming handoff as it would be posted now; nothing is posted or stored."""
        at = self._oncall.rotation.next_handoffs(self._clock.now(), 1)[0]
        return await self.compose(at=at, key="handoff:preview")

    async def post_now(self, *, actor: str) -> HandoffMessage:
        """``/oncall handoff``: the coming handoff, posted now as a preview people can act on."""
        self._require_notifier()
        now = self._clock.now()
        at = self._oncall.rotation.next_handoffs(now, 1)[0]
        key = f"handoff:manual:{now.isoformat()}:{actor}"
        await self._owe(at=at, key=key, actor=actor)
        return await self.compose(at=at, key=key)

    async def _owe(
        self, *, at: datetime, key: str, actor: str = "scheduler", silent: bool = False
    ) -> bool:
        rotation = self._oncall.rotation
        overrides = await self._oncall.overrides(at=at - _TICK)
        handoff = Handoff(
            key=key,
            subject="oncall",
            channel=self._config.channels.oncall,
            at=at,
            incoming=rotation.who_is_paged(at, overrides),
            outgoing=rotation.who_is_paged(at - _TICK, overrides),
            actor=actor,
        )
        now = self._clock.now()
        async with self._db.transaction() as session:
            # A silent handoff keeps its key (once per handoff) but owes no message.
            if silent:
                owed = await record(session, handoff, at=now)
            else:
                owed = await owe_one(session, handoff, at=now)
        if owed and not silent:
            self._owed()
        return owed

    async def confirm(self, *, key: str, actor: str) -> HandoffMessage:
        """The incoming on-call's "I've got it"; anyone else, or a second click, is refused."""
        self._require_notifier()
        now = self._clock.now()
        async with self._db.transaction() as session:
            row = await outbox.get(session, key)
            if row is None or row.kind != PostKind.ONCALL_HANDOFF:
                raise InvalidInput("That handoff message is not known any more.")
            handoff = read_row(Handoff, row)
            if actor != handoff.incoming:
                raise NotAuthorized(
                    f"Only {handoff.incoming}, who takes over, can confirm this handoff."
                )
            confirmation = HandoffConfirmed(key=f"handoff-confirmed:{key}", subject=key, by=actor)
            if not await record(session, confirmation, at=now):
                raise InvalidInput("This handoff is already confirmed.")
            at = handoff.at
            update = HandoffUpdate(
                key=f"handoff-update:{key}",
                subject="oncall",
                channel=row.channel,
                thread_key=key,
                at=at,
                handoff=key,
                confirmed_by=actor,
            )
            await owe_one(session, update, at=now)
        self._owed()
        return await self.compose(at=at, key=key, confirmed_by=actor)

    async def remind_unconfirmed(self, now: datetime) -> int:
        """A handoff unconfirmed after ``handoff_confirm_within`` gets one reminder to both."""
        if self._notifier is None:
            return 0
        within = self._config.schedule.handoff_confirm_within
        owed = 0
        async with self._db.transaction() as session:
            for row in await outbox.of_kind(session, kind=PostKind.ONCALL_HANDOFF):
                if not (row.ts and now - LATE_LIMIT <= row.claimed_at <= now - within):
                    continue
                if await outbox.get(session, f"handoff-confirmed:{row.key}") is not None:
                    continue
                handoff = read_row(Handoff, row)
                reminder = HandoffReminder(
                    key=f"handoff-reminder:{row.key}",
                    subject="oncall",
                    channel=row.channel,
                    thread_key=row.key,
                    outgoing=handoff.outgoing,
                    incoming=handoff.incoming,
                )
                owed += await owe_one(session, reminder, at=now)
        if owed:
            self._owed()
        return owed

    async def sync_user_group(self) -> None:
        """Keep ``oncall.user_group`` equal to who is on call; never empty it (Slack refuses)."""
        group = self._config.oncall.user_group
        if group is None or self._notifier is None:
            return
        members = await self._oncall.group_members()
        if not members:
            await self._problem(
                f"Nobody is on call right now, so the user group {group} was left as it was."
            )
            return
        try:
            await self._notifier.user_group(group, members)
        except Exception as exc:
            log.warning("user group %s not updated: %s", group, exc)
            await self._problem(f"Could not update the on-call user group {group}: {exc}")

    async def _problem(self, text: str) -> None:
        now = self._clock.now()
        problem = OncallProblem(
            key=f"oncall-problem:{now.isoformat()}",
            subject="oncall",
            channel=self._config.channels.oncall,
            text=text,
        )
        async with self._db.transaction() as session:
            await owe_one(session, problem, at=now)
        self._owed()

    def _require_notifier(self) -> None:
        if self._notifier is None:
            raise SreError(
                "Slack is not configured (SLACK_BOT_TOKEN), so there is nowhere to post the "
                f"handoff; nothing was posted. `{HINT}` shows it here.",
                hint=Hint("oncall", "handoff", ("--preview",)),
            )
