"""The Slack mechanics every post's renderer uses: post, reply, update, answer privately.

Every message carries its outbox key in Slack message metadata (``POST_EVENT``), so an
attempt that reached Slack but was never recorded is found again by the sender instead of
being posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.clock import Clock
from bot.outbox import (
    ChannelClosed,
    MessageRef,
    NothingToSend,
    OwedPost,
    Refusal,
    Undeliverable,
)
from handlers.blocks.text import Reply
from handlers.errors import post_privately
from handlers.slack_client import session_of

log = logging.getLogger(__name__)

POST_EVENT = "artisan_sre_post"
RESPONSE_URL_LIFETIME = timedelta(minutes=25)  # Slack's is 30 minutes; keep a margin
CHANNEL_CLOSED = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
"""Slack's refusals that say the bot cannot post in that channel at all: a person can fix
them (invite the bot, unarchive the channel), so a post refused so is retried slowly."""


def closed_reason(exc: SlackApiError) -> str | None:
    """Slack's error when it is one of ``CHANNEL_CLOSED``, else None."""
    error = str(exc.response.get("error", ""))
    return error if error in CHANNEL_CLOSED else None


class SlackPoster:
    """Posts a rendered message where an owed post goes, the one way."""

    def __init__(self, *, client: AsyncWebClient, clock: Clock) -> None:
        self.client = client
        self.clock = clock

    async def post(
        self, owed: OwedPost, body: Reply, *, reply: bool = False, broadcast: bool = False
    ) -> MessageRef:
        """Post ``body`` where ``owed`` goes: as a reply under its thread when asked and that
        message is out (shown in the channel too when ``broadcast``), else at the top of its
        channel."""
        channel = owed.thread.channel_id if owed.thread else owed.channel
        if channel is None:
            raise Undeliverable(f"{owed.key} has no channel")
        thread_ts = owed.thread.ts if reply and owed.thread else None
        return await self.post_in(
            channel, body, key=owed.key, thread_ts=thread_ts, broadcast=broadcast
        )

    async def post_in(
        self,
        channel: str,
        body: Reply,
        *,
        key: str,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> MessageRef:
        """Post ``body`` in ``channel`` (under ``thread_ts``, and in the channel too when
        ``broadcast``), carrying ``key``."""
        response = await self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            reply_broadcast=True if broadcast and thread_ts else None,
            metadata={"event_type": POST_EVENT, "event_payload": {"key": key}},
            **body,
        )
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))

    async def post_or_move(
        self,
        owed: OwedPost,
        body: Reply,
        *,
        elsewhere: Callable[[], Awaitable[str | None]],
        reply: bool = False,
    ) -> MessageRef:
        """``post``, and when Slack refuses the channel itself (``CHANNEL_CLOSED``), the same
        message, buttons and all, in the channel ``elsewhere`` names: the ref says what was
        refused. ``ChannelClosed`` when there is nowhere else, or that refuses too."""
        try:
            return await self.post(owed, body, reply=reply)
        except SlackApiError as exc:
            reason = closed_reason(exc)
            meant = owed.thread.channel_id if reply and owed.thread else owed.channel
            if reason is None or meant is None:
                raise
            refusal, refused = Refusal(channel=meant, reason=reason), exc
        fallback = await elsewhere()
        if fallback is None or fallback == refusal.channel:
            raise ChannelClosed(refusal) from refused
        try:
            where = await self.post_in(fallback, body, key=owed.key)
        except SlackApiError as exc:
            if closed_reason(exc) is None:
                raise
            raise ChannelClosed(refusal) from exc
        return replace(where, refused=refusal)

    async def update(self, owed: OwedPost, body: Reply) -> MessageRef:
        """Edit the message ``owed`` updates (its thread)."""
        if owed.thread is None:
            raise NothingToSend("the message to update was never posted")
        await self.client.chat_update(channel=owed.thread.channel_id, ts=owed.thread.ts, **body)
        return owed.thread

    async def answer(
        self, owed: OwedPost, body: Reply, *, user: str, response_url: str | None
    ) -> None:
        """Answer ``user`` privately: through ``response_url`` while Slack still takes it,
        else an ephemeral where they asked, else a direct message."""
        if response_url and self.clock.now() - owed.created_at < RESPONSE_URL_LIFETIME:
            # The Web API client's retry policy (429 after Retry-After) covers this too.
            webhook = AsyncWebhookClient(
                response_url,
                retry_handlers=self.client.retry_handlers,
                session=session_of(self.client),
            )
            # A retry may follow an attempt that reached Slack but was never recorded (a
            # crash between the two): it replaces that answer rather than adding a second.
            answered = await webhook.send(
                response_type="ephemeral",
                text=body["text"],
                blocks=body.get("blocks"),
                replace_original=owed.retried or None,
            )
            if answered.status_code == 200:
                return
            log.info(
                "response_url refused the answer (%s); posting it instead", answered.status_code
            )
        await post_privately(self.client, user=user, channel=owed.channel, reply=body)
