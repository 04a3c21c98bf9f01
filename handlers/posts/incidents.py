"""Rendering and sending the posts about incidents, each from the facts it carries."""

from __future__ import annotations

from dataclasses import replace

from bot.alerts.intake import ACTOR as ALERTS_ACTOR
from bot.alerts.work import AlertWork
from bot.i18n import ENGLISH, Words
from bot.incidents.model import Incident, IncidentStatus
from bot.incidents.postmortem import postmortem_draft
from bot.incidents.posts import (
    AlertsReply,
    ChaseOutcome,
    Escalation,
    IncidentCard,
    IncidentCardLate,
    IncidentCardUpdate,
    IncidentCreatedReply,
    IncidentNews,
    PostmortemDraft,
    PostmortemNudge,
    Reminder,
)
from bot.incidents.service import IncidentService
from bot.oncall.service import OncallService
from bot.outbox import MessageRef, NothingToSend, OwedPost
from bot.runbooks.recovery import IncidentRecovery, Recoveries
from bot.settings import SreConfig
from handlers.blocks.alerts import alerts_reply
from handlers.blocks.chase import (
    chase_outcome_reply,
    escalation_reply,
    postmortem_nudge_reply,
    reminder_reply,
)
from handlers.blocks.incident import (
    incident_card,
    incident_card_late,
    incident_created_reply,
    incident_fallback,
    incident_news_reply,
    postmortem_draft_messages,
)
from handlers.blocks.text import Reply
from handlers.posts.slack import SlackPoster


class IncidentPosts:
    def __init__(
        self,
        *,
        slack: SlackPoster,
        config: SreConfig,
        incidents: IncidentService,
        oncall: OncallService,
        alerts: AlertWork | None,
        recoveries: Recoveries | None = None,
        words: Words = ENGLISH,
    ) -> None:
        """``recoveries`` tells a card edit where its model's recovery and restore stand;
        ``words`` are the workspace's (``locale`` in sre.yaml): everything posted about an
        incident in a channel is said in them."""
        self._slack = slack
        self._config = config
        self._incidents = incidents
        self._oncall = oncall
        self._alerts = alerts
        self._recoveries = recoveries
        self._words = words

    async def _card_body(
        self, incident: Incident, *, recovery: IncidentRecovery | None = None
    ) -> Reply:
        firing = []
        # Alerts open incidents and join those about the same components: an incident with
        # neither (most that people declare) has no alerts to ask about.
        if self._alerts is not None and (
            incident.created_by == ALERTS_ACTOR or incident.components
        ):
            firing = await self._alerts.firing(incident_id=incident.id)
        return {
            "text": incident_fallback(incident, words=self._words),
            "blocks": incident_card(
                incident,
                respond_within=self._config.respond_within(incident.severity),
                alerts=firing,
                recovery=recovery,
                zone=self._config.zone,
                words=self._words,
            ),
        }

    async def card(self, owed: OwedPost, post: IncidentCard) -> MessageRef:
        # As declared; a change after the create owes an edit, sent after the card.
        body = await self._card_body(post.incident)

        async def elsewhere() -> str | None:
            # Its channel refused it: the card (buttons, thread and all) goes to the
            # incidents channel, or when that is the one refusing, to whoever is paged now;
            # so nobody waits on a card nobody sees. The refusal rides on the ref: the
            # answer, the log, the metric and the late pointer in the refusing channel
            # (``card_posted``) read it.
            incidents = self._config.channels.incidents
            if owed.channel != incidents:
                return incidents
            return await self._oncall.who_is_paged(self._slack.clock.now())

        return await self._slack.post_or_move(owed, body, elsewhere=elsewhere)

    async def card_late(self, owed: OwedPost, post: IncidentCardLate) -> MessageRef:
        body = incident_card_late(
            post.incident, reason=post.reason, moved_to=post.moved_to, words=self._words
        )
        return await self._slack.post(owed, body)

    async def card_update(self, owed: OwedPost, post: IncidentCardUpdate) -> MessageRef:
        # The recovery is read as the edit goes out, like the alerts it lists: the
        # recovery, the restore's start and its end each owe this edit in their own
        # transaction, so what is read here is at least as new as what owed it. A new card
        # has none yet (a recovery told before it was out owes an edit after it).
        recovery = None
        if self._recoveries is not None:
            recovery = await self._recoveries.get(incident_id=post.incident.id)
        body = await self._card_body(post.incident, recovery=recovery)
        return await self._slack.update(owed, body)

    async def created_reply(self, owed: OwedPost, post: IncidentCreatedReply) -> None:
        # In the channel of its card, which went out first (``thread``).
        where = owed.thread.channel_id if owed.thread else None
        refused = owed.refused or (owed.thread.refused if owed.thread else None)
        refused_in, reason = (refused.channel, refused.reason) if refused else (None, None)
        meant = self._config.channels.incidents
        if refused is None and where is not None and where != meant:
            refused_in = meant  # moved, told in an earlier pass than the card's: why unknown
        body = incident_created_reply(
            replace(post.incident, channel_id=where),
            refused_in=refused_in,
            reason=reason,
            words=self._words,
        )
        await self._slack.answer(owed, body, user=post.user, response_url=post.response_url)

    async def alerts_reply(self, owed: OwedPost, post: AlertsReply) -> MessageRef:
        return await self._slack.post(owed, alerts_reply(post, words=self._words), reply=True)

    async def news(self, owed: OwedPost, post: IncidentNews) -> MessageRef:
        body = incident_news_reply(
            action=post.action, note=post.note, actor=post.actor, words=self._words
        )
        return await self._slack.post(owed, body, reply=True)

    async def postmortem_draft(self, owed: OwedPost, post: PostmortemDraft) -> MessageRef:
        incident = post.incident
        first, *rest = postmortem_draft_messages(incident, postmortem_draft(incident))
        where = await self._slack.post(owed, first, reply=True)
        # The parts after the first follow it in the same thread. The outbox knows the
        # first (by its key); a crash between parts leaves the draft short, and asking
        # for the draft again posts it whole.
        thread_ts = owed.thread.ts if owed.thread else where.ts
        for number, body in enumerate(rest, start=2):
            await self._slack.post_in(
                where.channel_id, body, key=f"{owed.key}#{number}", thread_ts=thread_ts
            )
        return where

    async def _still_open(self, incident_id: str) -> None:
        """An acknowledgement drops what chases an incident; one that came in while this
        post was leased is honoured here."""
        incident = await self._incidents.get(incident_id=incident_id, timeline=False)
        if incident.status is not IncidentStatus.OPEN:
            raise NothingToSend(f"{incident.id} is {incident.status.value}")

    async def reminder(self, owed: OwedPost, post: Reminder) -> MessageRef:
        await self._still_open(post.incident.id)
        now = self._slack.clock.now()
        # Whoever is paged now, not when the reminder fell due (a handoff in between).
        body = reminder_reply(
            post.incident,
            elapsed=now - post.incident.created_at,
            oncall=await self._oncall.who_is_paged(now),
            words=self._words,
        )
        return await self._slack.post(owed, body, reply=True)

    async def escalation(self, owed: OwedPost, post: Escalation) -> MessageRef:
        await self._still_open(post.incident.id)
        body = escalation_reply(
            post.incident,
            level=post.level,
            elapsed=self._slack.clock.now() - post.incident.created_at,
            respond_within=post.respond_within,
            people=list(post.people),
            user_group=post.user_group,
            broadcast=post.broadcast,
            words=self._words,
        )
        # An @channel in a thread reply notifies the channel, but it only sees the reply
        # when it is also broadcast there.
        return await self._slack.post(owed, body, reply=True, broadcast=post.broadcast)

    async def chase_outcome(self, owed: OwedPost, post: ChaseOutcome) -> MessageRef:
        body = chase_outcome_reply(post.incident, level=post.level, words=self._words)
        return await self._slack.update(owed, body)

    async def postmortem_nudge(self, owed: OwedPost, post: PostmortemNudge) -> MessageRef:
        incident = await self._incidents.get(incident_id=post.subject, timeline=False)
        if not incident.postmortem_pending:
            raise NothingToSend(f"{incident.id} has its postmortem")
        body = postmortem_nudge_reply(post.incident, days=post.days, words=self._words)
        return await self._slack.post(owed, body, reply=True)
