"""Chasing unacknowledged incidents: reminders every interval, escalations by response time,
and a daily nudge for a missing postmortem. Each post is keyed and claimed before it goes out.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel import select

from bot.incidents.chasing import (
    ChaseNotifier,
    Due,
    due_escalation,
    due_postmortem_nudge,
    due_reminder,
)
from bot.incidents.model import Incident, IncidentStatus
from bot.incidents.notifier import MessageRef
from bot.incidents.service import IncidentService, incident_from_row
from bot.oncall.hours import Pool
from bot.oncall.service import OncallService
from bot.settings import SreConfig
from storage import posts
from storage.db import Database
from storage.tables import IncidentRow

log = logging.getLogger(__name__)

CHASE_KINDS = ("reminder", "escalation", "postmortem")


class Chaser:
    def __init__(
        self,
        *,
        db: Database,
        config: SreConfig,
        incidents: IncidentService,
        oncall: OncallService,
        notifier: ChaseNotifier,
    ) -> None:
        self._db = db
        self._config = config
        self._incidents = incidents
        self._oncall = oncall
        self._notifier = notifier

    async def run(self, now: datetime) -> int:
        """Post whatever is due at ``now``; returns how many posts went out."""
        sent = await self.recover(now)
        policy = self._config.incidents
        for incident in await self._incidents.list_incidents(limit=None):
            reminder = due_reminder(incident, every=policy.ack_reminder_every, now=now)
            if reminder is not None:
                sent += await self._remind(incident, reminder, now)
            escalation = due_escalation(
                incident,
                respond_within=self._config.respond_within(incident.severity),
                now=now,
                max_levels=policy.escalation_repeats,
            )
            if escalation is not None:
                sent += await self._escalate(incident, escalation, now)
        for incident in await self._incidents.postmortems_due():
            nudge = due_postmortem_nudge(incident, now=now)
            if nudge is not None:
                sent += await self._nudge(nudge, now)
        return sent

    async def _nudge(self, due: Due, now: datetime) -> int:
        return await self._post_once(
            due,
            now,
            lambda i: self._notifier.postmortem_nudge(i, days=due.number, key=due.key),
            require_open=False,
        )

    async def _remind(self, incident: Incident, due: Due, now: datetime) -> int:
        oncall = await self._oncall.who_is_paged(now)
        elapsed = due.due_at - incident.created_at
        return await self._post_once(
            due,
            now,
            lambda i: self._notifier.reminder(
                i, number=due.number, elapsed=elapsed, oncall=oncall, key=due.key
            ),
        )

    async def _escalate(self, incident: Incident, due: Due, now: datetime) -> int:
        # Level 1: the other pool's on-call and the user group; level 2 on: the channel too.
        paged_pool = self._oncall.rotation.pool_at(now)
        other = Pool.WEEKEND if paged_pool is Pool.WEEKDAY else Pool.WEEKDAY
        people = [p for p in [await self._oncall.on_call(other, now)] if p]
        respond_within = self._config.respond_within(incident.severity)
        elapsed = due.due_at - incident.created_at
        return await self._post_once(
            due,
            now,
            lambda i: self._notifier.escalation(
                i,
                level=due.number,
                elapsed=elapsed,
                respond_within=respond_within,
                people=people,
                user_group=self._config.oncall.user_group,
                broadcast=due.number >= 2,
                key=due.key,
            ),
        )

    async def _post_once(
        self,
        due: Due,
        now: datetime,
        post: Callable[[Incident], Awaitable[MessageRef | None]],
        *,
        require_open: bool = True,
    ) -> int:
        """Claim ``due.key`` under the incident's row lock, then post, then record the post.

        The claim is committed before the post so a crash mid-post cannot make a second copy:
        on restart an unrecorded claim is looked up in Slack (``recover``) instead of reposted.
        An acknowledgement that finds a claim in flight waits for its post to be recorded
        (``IncidentService``), so a reminder never lands after the ack that raced it.
        """
        async with self._db.transaction() as session:
            statement = (
                select(IncidentRow).where(IncidentRow.id == due.incident_id).with_for_update()
            )
            row = (await session.execute(statement)).scalars().first()
            if row is None or (require_open and row.status != IncidentStatus.OPEN.value):
                return 0
            if not await posts.claim(
                session,
                key=due.key,
                kind=due.kind,
                subject=due.incident_id,
                at=now,
                detail={"number": due.number},
            ):
                return 0
            incident = incident_from_row(row)
        ref = await post(incident)  # a failure leaves the claim unrecorded for recover()
        await self._record(due.key, ref)
        log.info("posted %s", due.key)
        return 1

    async def _record(self, key: str, ref: MessageRef | None) -> None:
        async with self._db.transaction() as session:
            await posts.mark_posted(
                session, key=key, channel=ref.channel_id if ref else "", ts=ref.ts if ref else "-"
            )

    async def recover(self, now: datetime) -> int:
        """Settle claims whose post was never recorded (a crash or a failed post).

        Each is looked up in the incident's thread by its key; found → recorded; not found →
        posted now if it still applies, else dropped. Returns how many were settled.
        """
        async with self._db.transaction() as session:
            stale = await posts.unrecorded(
                session, kinds=CHASE_KINDS, claimed_before=now - self._config.schedule.post_timeout
            )
        settled = 0
        for claim in stale:
            incident = await self._incidents.get(incident_id=claim.subject)
            ref = await self._notifier.find_posted(incident, key=claim.key)
            if ref is None and (
                claim.kind == "postmortem" or incident.status is IncidentStatus.OPEN
            ):
                ref = await self._repost(
                    claim.kind, incident, claim.key, int(claim.detail.get("number", 1)), now
                )
            await self._record(claim.key, ref)
            settled += 1
        return settled

    async def _repost(
        self, kind: str, incident: Incident, key: str, number: int, now: datetime
    ) -> MessageRef | None:
        if kind == "postmortem":
            return await self._notifier.postmortem_nudge(incident, days=number, key=key)
        oncall = await self._oncall.who_is_paged(now)
        if kind == "reminder":
            elapsed = number * self._config.incidents.ack_reminder_every
            return await self._notifier.reminder(
                incident, number=number, elapsed=elapsed, oncall=oncall, key=key
            )
        respond_within = self._config.respond_within(incident.severity)
        return await self._notifier.escalation(
            incident,
            level=number,
            elapsed=number * respond_within,
            respond_within=respond_within,
            people=[],
            user_group=self._config.oncall.user_group,
            broadcast=number >= 2,
            key=key,
        )
