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
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.outbox import ChannelClosed, MessageRef, OwedPost, Refusal, Undeliverable
from bot.posts import UnreadablePost, kind_of, read
from handlers.posts import Renderers
from handlers.posts.slack import closed_reason

log = logging.getLogger(__name__)

# Slack's answers that no retry can change (``CHANNEL_CLOSED``: none until a person acts).
PERMANENT = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "message_not_found",
    "cant_update_message",
    "invalid_metadata_format",
    "user_not_found",
}

LOOK_BACK = timedelta(minutes=10)
"""How far before a post was owed its unrecorded attempt is looked for: Slack's clock and
the bot's agree within that (NTP; the demo's emulator shares the bot's clock)."""
HISTORY_PAGES = 10
"""At most 2,000 messages since then: ten burst seconds of cards at 200 a second."""


class SlackSender:
    """The outbox's ``Sender`` for Slack: reads each owed post back into its dataclass and
    hands it to its renderer (``handlers/posts``)."""

    def __init__(self, *, client: AsyncWebClient, renderers: Renderers) -> None:
        self._client = client
        self._renderers = renderers

    async def send(self, post: OwedPost) -> MessageRef | None:
        try:
            return await self._renderers.send(post, read(post))
        except UnreadablePost as exc:
            raise Undeliverable(str(exc)) from exc
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            closed = closed_reason(exc)
            channel = post.thread.channel_id if post.thread else post.channel
            if closed is not None and channel is not None:
                raise ChannelClosed(Refusal(channel=channel, reason=closed)) from exc
            if error in PERMANENT or closed is not None:
                raise Undeliverable(error) from exc
            raise

    async def find(self, post: OwedPost) -> MessageRef | None:
        """The message an unrecorded attempt posted, by the key in its metadata."""
        try:
            if not kind_of(post).new_message:  # a class's mark: no facts to read for it
                return None
        except UnreadablePost:
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
