"""Sending the outbox to Slack: each kind of owed post rendered and sent the one way.

Every message carries its outbox key in Slack message metadata, so an attempt that reached
Slack but was never recorded (a crash, a timeout, a 500 after the work) is found again
with ``conversations.history`` / ``conversations.replies`` instead of being sent twice.
Edits (``chat.update``) are idempotent and need no lookup; ephemeral answers cannot be
looked up, so one whose first attempt was cut short is sent again: through a response_url
it replaces the first (``replace_original``), as a ``chat.postEphemeral`` it may show twice
(never lost).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.alerts.intake import ACTOR as ALERTS_ACTOR
from bot.alerts.work import AlertWork
from bot.clock import Clock
from bot.incidents.model import Incident, IncidentStatus
from bot.incidents.postmortem import postmortem_draft
from bot.incidents.service import IncidentService, declared_incident
from bot.oncall.handoffs import HandoffService
from bot.oncall.service import OncallService
from bot.outbox import MessageRef, NothingToSend, OwedPost, Undeliverable
from bot.runbooks import Audience
from bot.runbooks.service import RunbookService
from bot.settings import SreConfig
from bot.slo.duties import SloDuties
from handlers.blocks.alerts import alerts_reply
from handlers.blocks.chase import escalation_reply, postmortem_nudge_reply, reminder_reply
from handlers.blocks.incident import (
    incident_card,
    incident_created_reply,
    incident_fallback,
    postmortem_draft_messages,
)
from handlers.blocks.oncall import handoff_blocks, handoff_unconfirmed_reply
from handlers.blocks.runbook import drill_summary, recovery_notice, run_message, run_moved_text
from handlers.blocks.slo import digest_blocks, status_notice_blocks
from handlers.blocks.text import escape, mention, message
from handlers.errors import post_privately, tell
from handlers.slack_client import session_of

log = logging.getLogger(__name__)

POST_EVENT = "artisan_sre_post"
CHART_FILENAME = "slo-budget.png"
RESPONSE_URL_LIFETIME = timedelta(minutes=25)  # Slack's is 30 minutes; keep a margin
# Slack's answers that no retry can change.
# Refusals that say the bot cannot post in that channel at all.
CHANNEL_CLOSED = {"channel_not_found", "not_in_channel", "is_archived"}

PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "message_not_found",
    "cant_update_message",
    "invalid_metadata_format",
    "user_not_found",
}

Body = dict[str, Any]
Send = Callable[[OwedPost], Awaitable[MessageRef | None]]


LOOK_BACK = timedelta(minutes=10)
"""How far before a post was owed its unrecorded attempt is looked for: Slack's clock and
the bot's agree within that (NTP; the demo's emulator shares the bot's clock)."""
HISTORY_PAGES = 10
"""At most 2,000 messages since then: ten burst seconds of cards at 200 a second."""


class SlackSender:
    """The outbox's ``Sender`` for Slack."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        config: SreConfig,
        clock: Clock,
        incidents: IncidentService,
        handoffs: HandoffService,
        oncall: OncallService,
        slo: SloDuties,
        runbooks: RunbookService,
        alerts: AlertWork | None = None,
    ) -> None:
        self._client = client
        self._alerts = alerts
        self._config = config
        self._clock = clock
        self._incidents = incidents
        self._handoffs = handoffs
        self._oncall = oncall
        self._slo = slo
        self._runbooks = runbooks
        self._kinds: dict[str, Send] = {
            "incident.card": self._card,
            "incident.card-update": self._card_update,
            "incident.created-reply": self._created_reply,
            "incident.alerts-reply": self._alerts_reply,
            "incident.postmortem-draft": self._postmortem_draft,
            "reminder": self._reminder,
            "escalation": self._escalation,
            "postmortem": self._postmortem_nudge,
            "handoff": self._handoff,
            "handoff-update": self._handoff_update,
            "handoff-reminder": self._handoff_reminder,
            "oncall-problem": self._oncall_problem,
            "slo-digest": self._digest,
            "slo-status": self._status_notice,
            "recovery": self._recovery,
            "drill": self._drill,
            "run.message": self._run_message,
            "run.update": self._run_update,
            "run.approval": self._run_approval,
            "run.notice": self._run_notice,
        }

    async def send(self, post: OwedPost) -> MessageRef | None:
        send = self._kinds.get(post.kind)
        if send is None:
            raise Undeliverable(f"no way to send a post of kind {post.kind!r}")
        try:
            return await send(post)
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if error in PERMANENT:
                raise Undeliverable(error) from exc
            raise

    async def find(self, post: OwedPost) -> MessageRef | None:
        """The message an unrecorded attempt posted, by the key in its metadata."""
        if post.kind not in VERIFIABLE:
            return None
        if post.thread is not None:
            channel = post.thread.channel_id
            messages = await self._thread(channel, post.thread.ts)
        elif post.channel is not None:
            channel = post.channel
            messages = await self._history_since(channel, post.created_at - LOOK_BACK)
        else:
            return None
        for item in messages:
            payload = (item.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == post.key:
                return MessageRef(channel_id=channel, ts=str(item["ts"]))
        return None

    async def _history_since(self, channel: str, since: datetime) -> list[dict[str, Any]]:
        """The channel's messages since ``since``, newest first, page by page: a busy channel
        (a burst of cards) holds more than one page between an attempt and its retry."""
        messages: list[dict[str, Any]] = []
        cursor = ""
        for _ in range(HISTORY_PAGES):
            response = await self._client.conversations_history(
                channel=channel,
                include_all_metadata=True,
                limit=200,
                oldest=f"{since.timestamp():.6f}",
                cursor=cursor or None,
            )
            messages.extend(response.get("messages") or [])
            cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return messages

    async def _thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The whole thread ``ts`` belongs to, whether ``ts`` starts it or replies in it."""
        response = await self._client.conversations_replies(
            channel=channel, ts=ts, include_all_metadata=True, limit=200
        )
        messages = list(response.get("messages") or [])
        root = messages[0].get("thread_ts") if messages else None
        if root and root != ts:
            return await self._thread(channel, str(root))
        return messages

    # ---- the one way to post --------------------------------------------------------------

    async def _post(self, post: OwedPost, body: Body, *, reply: bool = False) -> MessageRef:
        """Post ``body`` where ``post`` goes: as a reply under ``post.thread`` when asked and
        that message is out, else at the top of ``post.channel``."""
        channel = post.thread.channel_id if post.thread else post.channel
        if channel is None:
            raise Undeliverable(f"{post.key} has no channel")
        response = await self._client.chat_postMessage(
            channel=channel,
            thread_ts=post.thread.ts if reply and post.thread else None,
            metadata={"event_type": POST_EVENT, "event_payload": {"key": post.key}},
            **body,
        )
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))

    async def _update(self, post: OwedPost, body: Body) -> MessageRef:
        if post.thread is None:
            raise NothingToSend("the message to update was never posted")
        await self._client.chat_update(channel=post.thread.channel_id, ts=post.thread.ts, **body)
        return post.thread

    # ---- incidents -------------------------------------------------------------------------

    async def _card_body(self, incident: Incident) -> Body:
        firing = []
        if self._alerts is not None and incident.created_by == ALERTS_ACTOR:
            firing = await self._alerts.firing(incident_id=incident.id)
        return {
            "text": incident_fallback(incident),
            "blocks": incident_card(
                incident,
                respond_within=self._config.respond_within(incident.severity),
                alerts=firing,
            ),
        }

    async def _incident(self, post: OwedPost, *, timeline: bool = False) -> Incident:
        return await self._incidents.get(incident_id=post.subject, timeline=timeline)

    async def _card(self, post: OwedPost) -> MessageRef:
        # A first attempt shows the incident as its create stored it (the post carries it);
        # a retry reads it, as it may have changed meanwhile. A change after the create owes
        # an edit, sent after the card, so the card ends up current either way.
        incident = None if post.retried else declared_incident(post)
        return await self._post(post, await self._card_body(incident or await self._incident(post)))

    async def _card_update(self, post: OwedPost) -> MessageRef:
        return await self._update(post, await self._card_body(await self._incident(post)))

    async def _alerts_reply(self, post: OwedPost) -> MessageRef:
        return await self._post(post, alerts_reply(post.detail), reply=True)

    async def _created_reply(self, post: OwedPost) -> MessageRef | None:
        """The reporter's answer: through ``response_url`` while Slack still takes it, else
        an ephemeral where they asked, else a direct message."""
        declared = declared_incident(post)
        if declared is None:  # owed before the answer carried the incident
            body = incident_created_reply(await self._incident(post))
        else:  # in the channel of its card, which went out first (``thread``)
            where = post.thread.channel_id if post.thread else None
            body = incident_created_reply(replace(declared, channel_id=where))
        user = str(post.detail["user"])
        url = post.detail.get("response_url")
        if url and self._clock.now() - post.created_at < RESPONSE_URL_LIFETIME:
            # The Web API client's retry policy (429 after Retry-After) covers this too.
            webhook = AsyncWebhookClient(
                str(url),
                retry_handlers=self._client.retry_handlers,
                session=session_of(self._client),
            )
            # A retry may follow an attempt that reached Slack but was never recorded (a
            # crash between the two): it replaces that answer rather than adding a second.
            answer = await webhook.send(
                response_type="ephemeral",
                text=body["text"],
                blocks=body.get("blocks"),
                replace_original=post.retried or None,
            )
            if answer.status_code == 200:
                return None
            log.info("response_url refused the answer (%s); posting it instead", answer.status_code)
        await post_privately(self._client, user=user, channel=post.channel, reply=body)
        return None

    async def _postmortem_draft(self, post: OwedPost) -> MessageRef:
        incident = await self._incident(post, timeline=True)
        first, *rest = postmortem_draft_messages(incident, postmortem_draft(incident))
        where = await self._post(post, first, reply=True)
        # The parts after the first follow it in the same thread. The outbox knows the
        # first (by its key); a crash between parts leaves the draft short, and asking
        # for the draft again posts it whole.
        thread_ts = post.thread.ts if post.thread else where.ts
        for number, body in enumerate(rest, start=2):
            await self._client.chat_postMessage(
                channel=where.channel_id,
                thread_ts=thread_ts,
                metadata={
                    "event_type": POST_EVENT,
                    "event_payload": {"key": f"{post.key}#{number}"},
                },
                **body,
            )
        return where

    async def _chasing(self, post: OwedPost) -> Incident:
        incident = await self._incident(post)
        if incident.status is not IncidentStatus.OPEN:
            raise NothingToSend(f"{incident.id} is {incident.status.value}")
        return incident

    async def _reminder(self, post: OwedPost) -> MessageRef:
        incident = await self._chasing(post)
        body = reminder_reply(
            incident,
            elapsed=_seconds(post.detail["elapsed_seconds"]),
            oncall=post.detail.get("oncall"),
        )
        return await self._post(post, body, reply=True)

    async def _escalation(self, post: OwedPost) -> MessageRef:
        incident = await self._chasing(post)
        detail = post.detail
        body = escalation_reply(
            incident,
            level=int(detail["level"]),
            elapsed=_seconds(detail["elapsed_seconds"]),
            respond_within=_seconds(detail["respond_within_seconds"]),
            people=[str(p) for p in detail.get("people") or []],
            user_group=detail.get("user_group"),
            broadcast=bool(detail.get("broadcast")),
        )
        return await self._post(post, body, reply=True)

    async def _postmortem_nudge(self, post: OwedPost) -> MessageRef:
        incident = await self._incident(post)
        if not incident.postmortem_pending:
            raise NothingToSend(f"{incident.id} has its postmortem")
        body = postmortem_nudge_reply(incident, days=int(post.detail.get("days", 1)))
        return await self._post(post, body, reply=True)

    # ---- on-call ---------------------------------------------------------------------------

    async def _handoff(self, post: OwedPost) -> MessageRef:
        message = await self._handoffs.compose(at=_instant(post.detail["at"]), key=post.key)
        return await self._post(post, handoff_blocks(message, self._config.zone))

    async def _handoff_update(self, post: OwedPost) -> MessageRef:
        message = await self._handoffs.compose(
            at=_instant(post.detail["at"]),
            key=str(post.detail["handoff"]),
            confirmed_by=post.detail.get("confirmed_by"),
        )
        return await self._update(post, handoff_blocks(message, self._config.zone))

    async def _handoff_reminder(self, post: OwedPost) -> MessageRef:
        body = handoff_unconfirmed_reply(
            outgoing=str(post.detail["outgoing"]),
            incoming=str(post.detail["incoming"]),
            waited=self._config.schedule.handoff_confirm_within,
        )
        return await self._post(post, body, reply=True)

    async def _oncall_problem(self, post: OwedPost) -> MessageRef:
        return await self._post(post, message("⚠️ " + escape(str(post.detail["text"]))))

    # ---- SLOs ------------------------------------------------------------------------------

    async def _digest(self, post: OwedPost) -> MessageRef:
        snapshot, chart = await self._slo.digest_content(at=_instant(post.detail["at"]))
        posted = await self._post(post, digest_blocks(snapshot, chart_in_thread=chart is not None))
        if chart is not None:
            # The digest is out; a failed chart must not make the outbox post it again.
            try:
                await self._client.files_upload_v2(
                    channel=posted.channel_id,
                    thread_ts=posted.ts,
                    file=chart,
                    filename=CHART_FILENAME,
                    title=f"Error budget left, {snapshot.at:%Y-%m-%d %H:%M} UTC",
                    initial_comment="Error budget left over each SLO's window.",
                )
            except Exception:
                log.exception("the SLO digest went out without its chart")
        return posted

    async def _status_notice(self, post: OwedPost) -> MessageRef:
        result, previous = SloDuties.notice_content(
            name=post.subject, at=post.created_at, detail=post.detail
        )
        return await self._post(post, status_notice_blocks(result, previous))

    # ---- runbooks --------------------------------------------------------------------------

    async def _recovery(self, post: OwedPost) -> MessageRef:
        body = recovery_notice(str(post.detail["model"]), str(post.detail["runbook"]))
        return await self._post(post, body)

    async def _run_body(self, post: OwedPost) -> Body:
        run = await self._runbooks.get(run_id=post.subject)
        return run_message(run, approvers=self._config.runbooks.approvers)

    async def _run_message(self, post: OwedPost) -> MessageRef:
        body = await self._run_body(post)
        fallback = self._config.channels.incidents
        try:
            return await self._post(post, body, reply=True)
        except SlackApiError as exc:
            closed = exc.response.get("error") in CHANNEL_CLOSED
            if not closed or post.thread is not None or post.channel == fallback:
                raise
        # Started where the bot cannot post (a channel it is not in, a DM with someone else):
        # the run's message, and with it the Approve/Deny buttons and every reply, goes to the
        # incidents channel, and the requester is told where, so no run waits unseen.
        run = await self._runbooks.get(run_id=post.subject)
        response = await self._client.chat_postMessage(
            channel=fallback,
            metadata={"event_type": POST_EVENT, "event_payload": {"key": post.key}},
            **body,
        )
        where = MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))
        await tell(
            self._client,
            user=run.requester,
            channel=None,
            reply=message(run_moved_text(run_id=run.id, channel=where.channel_id)),
        )
        return where

    async def _run_update(self, post: OwedPost) -> MessageRef:
        return await self._update(post, await self._run_body(post))

    async def _run_approval(self, post: OwedPost) -> MessageRef:
        # A mention in an edited message notifies nobody, so the ask is a reply of its own.
        who = " ".join(mention(a) for a in post.detail.get("approvers") or [])
        text = (
            f"✋ {who}: *{post.subject}* needs your approval: "
            f"{escape(str(post.detail['step']))} (Approve/Deny above)."
        )
        return await self._post(post, message(text), reply=True)

    async def _run_notice(self, post: OwedPost) -> MessageRef:
        prefix = ""
        if post.detail.get("audience") == Audience.ONCALL.value:
            paged = await self._oncall.who_is_paged(_instant(post.detail["at"]))
            prefix = f"📟 {mention(paged)} " if paged else "📟 "
        return await self._post(
            post, message(prefix + escape(str(post.detail["text"]))), reply=True
        )

    async def _drill(self, post: OwedPost) -> MessageRef:
        body = drill_summary(
            reachable=post.detail.get("reachable"),
            lines=[str(line) for line in post.detail.get("lines") or []],
        )
        return await self._post(post, body)


# Kinds posted as new messages, found again by their key after an unrecorded attempt.
VERIFIABLE = {
    "incident.card",
    "incident.alerts-reply",
    "handoff",
    "oncall-problem",
    "slo-digest",
    "slo-status",
    "recovery",
    "drill",
    "incident.postmortem-draft",
    "reminder",
    "escalation",
    "postmortem",
    "handoff-reminder",
    "run.message",
    "run.approval",
    "run.notice",
}


def _seconds(value: Any) -> timedelta:
    return timedelta(seconds=float(value))


def _instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))
