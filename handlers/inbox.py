"""Running a stored Slack request: the inbox job's ``RunRequest``, through Bolt's listeners."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.inbox.model import InboxItem
from handlers.listeners import ATTEMPTS


class BoltRunner:
    """Dispatches a stored request to its listener and returns when the listener ended."""

    def __init__(self, bolt: AsyncApp) -> None:
        self._bolt = bolt

    async def __call__(self, item: InboxItem) -> None:
        request = AsyncBoltRequest(body="", headers={})
        # The body as the door parsed it (Bolt would parse the text again, and read a form
        # whose text says "payload" as an empty interaction).
        request.raw_body = item.body
        request.body = json.loads(item.body)
        context = build_async_context(AsyncBoltContext(), request.body)
        context[ATTEMPTS] = item.attempts
        request.context = context
        await self._bolt.async_dispatch(request)
