"""Posting handoffs: at every handoff, on request, confirmed by the incoming on-call."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import InvalidInput, NotAuthorized
from bot.incidents.notifier import MessageRef
from bot.incidents.service import IncidentService
from bot.oncall.handoff_message import (
    HandoffMessage,
    HandoffNotifier,
    PoolHandoff,
    order_open_incidents,
)
from bot.oncall.hours import Pool
from bot.oncall.service import OncallService
from bot.settings import SreConfig
from bot.slo.service import SloService
from storage import posts
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
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        self._oncall = oncall
        self._incidents = incidents
        self._slo = slo
        self._notifier = notifier

    async def compose(self, *, at: datetime, key: str) -> HandoffMessage:
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
        )

    async def post_due(self, now: datetime) -> bool:
        """Post the latest handoff at or before ``now`` once; one more than 6 h late is skipped."""
        if not self._oncall.configured or self._notifier is None:
            return False
        recent = self._oncall.rotation.handoffs_between(now - LATE_LIMIT, now + _TICK)
        if not recent:
            return False
        at = recent[-1]
        key = f"handoff:{at.isoformat()}"
        # Every tick for six hours asks; composing reads incidents and Prometheus, so only
        # compose while the handoff is not posted yet (_post still claims it atomically).
        async with self._db.transaction() as session:
            if await posts.get(session, key) is not None:
                return False
        posted = await self._post(await self.compose(at=at, key=key))
        if posted:
            await self.sync_user_group()
        return posted

    async def post_now(self, *, actor: str) -> HandoffMessage:
        """``/oncall handoff``: the coming handoff, posted now as a preview people can act on."""
        self._require_notifier()
        now = self._clock.now()
        at = self._oncall.rotation.next_handoffs(now, 1)[0]
        message = await self.compose(at=at, key=f"handoff:manual:{now.isoformat()}")
        await self._post(message, actor=actor)
        return message

    async def _post(self, message: HandoffMessage, *, actor: str = "scheduler") -> bool:
        assert self._notifier is not None
        detail = {
            "at": message.at.isoformat(),
            "incoming": message.incoming_paged,
            "outgoing": message.outgoing_paged,
            "actor": actor,
        }
        async with self._db.transaction() as session:
            claimed = await posts.claim(
                session,
                key=message.key,
                kind="handoff",
                subject="oncall",
                at=self._clock.now(),
                detail=detail,
            )
            if not claimed:
                return False
            ref = await self._notifier.handoff(message)
            if ref is not None:
                await posts.mark_posted(session, key=message.key, channel=ref.channel_id, ts=ref.ts)
        return True

    async def confirm(self, *, key: str, actor: str) -> HandoffMessage:
        """The incoming on-call's "I've got it"; anyone else, or a second click, is refused."""
        self._require_notifier()
        assert self._notifier is not None
        async with self._db.transaction() as session:
            post = await posts.get(session, key)
            if post is None or post.kind != "handoff":
                raise InvalidInput("That handoff message is not known any more.")
            incoming = str(post.detail.get("incoming"))
            if actor != incoming:
                raise NotAuthorized(f"Only {incoming}, who takes over, can confirm this handoff.")
            confirmed = await posts.claim(
                session,
                key=f"handoff-confirmed:{key}",
                kind="handoff-confirmed",
                subject=key[:128],
                at=self._clock.now(),
                detail={"by": actor},
            )
            if not confirmed:
                raise InvalidInput("This handoff is already confirmed.")
            at = datetime.fromisoformat(str(post.detail["at"]))
            ref = MessageRef(channel_id=str(post.channel), ts=str(post.ts)) if post.ts else None
        message = replace(await self.compose(at=at, key=key), confirmed_by=actor)
        if ref is not None:
            await self._notifier.handoff_confirmed(message, ref)
        return message

    async def remind_unconfirmed(self, now: datetime) -> int:
        """A handoff unconfirmed after ``handoff_confirm_within`` gets one reminder to both."""
        if self._notifier is None:
            return 0
        within = self._config.schedule.handoff_confirm_within
        sent = 0
        async with self._db.transaction() as session:
            candidates = [
                p
                for p in await posts.of_kind(session, kind="handoff")
                if p.ts and now - LATE_LIMIT <= p.claimed_at <= now - within
            ]
        for post in candidates:
            async with self._db.transaction() as session:
                if await posts.get(session, f"handoff-confirmed:{post.key}") is not None:
                    continue
                if not await posts.claim(
                    session,
                    key=f"handoff-reminder:{post.key}",
                    kind="handoff-reminder",
                    subject=post.key[:128],
                    at=now,
                ):
                    continue
                await self._notifier.handoff_unconfirmed(
                    MessageRef(channel_id=str(post.channel), ts=str(post.ts)),
                    outgoing=str(post.detail.get("outgoing")),
                    incoming=str(post.detail.get("incoming")),
                )
                sent += 1
        return sent

    async def sync_user_group(self) -> None:
        """Keep ``oncall.user_group`` equal to who is on call; never empty it (Slack refuses)."""
        group = self._config.oncall.user_group
        if group is None or self._notifier is None:
            return
        members = await self._oncall.group_members()
        if not members:
            await self._notifier.oncall_problem(
                f"Nobody is on call right now, so the user group {group} was left as it was."
            )
            return
        try:
            await self._notifier.user_group(group, members)
        except Exception as exc:
            log.warning("user group %s not updated", group, exc_info=True)
            await self._notifier.oncall_problem(
                f"Could not update the on-call user group {group}: {exc}"
            )

    def _require_notifier(self) -> None:
        if self._notifier is None:
            raise InvalidInput(
                "Slack is not configured (SLACK_BOT_TOKEN), so there is nowhere to post."
            )
