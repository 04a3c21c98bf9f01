"""Chasing unacknowledged incidents: what is due is owed to the outbox, once per key.

Reminders every interval, escalations by response time, a daily nudge for a missing
postmortem (``chasing.py`` says when each is due). Each is owed under its key in the
incident's thread, with everything its message shows (who is on call, whom an escalation
pages) decided now and stored with it, so a post delivered after a crash or an outage
says what it would have said on time.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TypedDict

from bot.incidents.chasing import Due, due_escalation, due_postmortem_nudge, due_reminder
from bot.incidents.model import Incident, IncidentStatus
from bot.incidents.posts import Escalation, PostmortemNudge, Reminder, bare, card_key
from bot.incidents.service import IncidentService
from bot.oncall.hours import Pool
from bot.oncall.service import OncallService
from bot.outbox.owing import owe_one, record
from bot.settings import SreConfig
from storage import outbox
from storage.db import Database
from storage.incidents import get_for_update

log = logging.getLogger(__name__)


class Chaser:
    def __init__(
        self,
        *,
        db: Database,
        config: SreConfig,
        incidents: IncidentService,
        oncall: OncallService,
    ) -> None:
        self._db = db
        self._config = config
        self._incidents = incidents
        self._oncall = oncall

    async def run(self, now: datetime) -> int:
        """Owe whatever is due at ``now``; returns how many posts were newly owed."""
        owed = 0
        policy = self._config.incidents
        for incident in await self._incidents.list_incidents(limit=None):
            escalation = due_escalation(
                incident,
                respond_within=self._config.respond_within(incident.severity),
                now=now,
                max_levels=policy.escalation_repeats,
            )
            reminder = due_reminder(incident, every=policy.ack_reminder_every, now=now)
            if reminder is not None:
                post = Reminder(
                    **self._envelope(reminder), incident=bare(incident), number=reminder.number
                )
                # An escalation due at the same moment says it, to more people: the
                # reminder is kept as decided, so the thread reads one message, not two.
                said = escalation is not None and escalation.due_at == reminder.due_at
                owed += await self._owe(post, now, said_by_escalation=said)
            if escalation is not None:
                owed += await self._owe(await self._escalation(incident, escalation, now), now)
        for incident in await self._incidents.postmortems_due():
            nudge = due_postmortem_nudge(incident, now=now)
            if nudge is not None:
                ask = PostmortemNudge(
                    **self._envelope(nudge), incident=bare(incident), days=nudge.number
                )
                owed += await self._owe(ask, now, require_open=False)
        return owed

    def _envelope(self, due: Due) -> _Envelope:
        return {
            "key": due.key,
            "subject": due.incident_id,
            "thread_key": card_key(due.incident_id),
        }

    async def _escalation(self, incident: Incident, due: Due, now: datetime) -> Escalation:
        # Level 1: the other pool's on-call and the user group; level 2 on: the channel too.
        paged_pool = self._oncall.rotation.pool_at(now)
        other = Pool.WEEKEND if paged_pool is Pool.WEEKDAY else Pool.WEEKDAY
        return Escalation(
            **self._envelope(due),
            incident=bare(incident),
            level=due.number,
            respond_within=self._config.respond_within(incident.severity),
            people=tuple(p for p in [await self._oncall.on_call(other, now)] if p),
            user_group=self._config.oncall.user_group,
            broadcast=due.number >= 2,
        )

    async def _owe(
        self,
        post: Reminder | Escalation | PostmortemNudge,
        now: datetime,
        *,
        require_open: bool = True,
        said_by_escalation: bool = False,
    ) -> int:
        """Owe ``post`` under the incident's row lock, so an acknowledgement committing at
        the same moment either comes first (nothing owed) or drops what we owed; only keep
        it as decided when an escalation says it."""
        async with self._db.transaction() as session:
            row = await get_for_update(session, post.subject)
            if row is None or (require_open and row.status != IncidentStatus.OPEN.value):
                return 0
            if await outbox.get(session, post.key) is not None:
                return 0
            # The newest supersedes one of its kind not sent yet: after a Slack outage the
            # thread gets one reminder, not one per interval missed.
            await outbox.drop_pending(
                session, subject=post.subject, kinds=(post.kind.value,), now=now
            )
            where = replace(post, channel=row.channel_id or self._incidents.channel)
            if said_by_escalation:
                await record(session, where, at=now)
                return 0
            owed = await owe_one(session, where, at=now)
        if owed:
            self._incidents.owed()
            log.info("owed %s", post.key)
        return int(owed)


class _Envelope(TypedDict):
    key: str
    subject: str
    thread_key: str
