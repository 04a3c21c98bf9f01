"""The one Bolt error handler: user-safe errors become an ephemeral reply, anything else a
reference id the person can quote and that leads to the logged traceback."""

from __future__ import annotations

import functools
import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.errors import AlreadyAcknowledged, SreError
from handlers.blocks.text import escape, mention, message

log = logging.getLogger("artisan_sre.errors")

# A Slack user ID inside a domain message (which names people by ID) becomes a mention.
_SLACK_USER = re.compile(r"\b[UW](?=[A-Z0-9]*\d)[A-Z0-9]{2,}\b")


def error_message(error: SreError) -> str:
    """The mrkdwn text for a refusal; user IDs inside become mentions."""
    if isinstance(error, AlreadyAcknowledged):
        return (
            f"👀 *{error.incident_id}* was already acknowledged by {mention(error.by)} "
            f"at {error.at:%H:%M} UTC; nothing changed."
        )
    return "⚠️ " + _SLACK_USER.sub(lambda m: mention(m.group(0)), escape(error.message))


async def handle_error(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None
) -> None:
    if isinstance(error, SreError):
        text = error_message(error)
    else:
        reference = uuid.uuid4().hex[:10]
        log.error("unexpected error, reference %s", reference, exc_info=error)
        text = (
            f"💥 Something went wrong on our side (reference `{reference}`). "
            "Nothing was lost; quote the reference to whoever runs the bot."
        )
    if respond is not None:
        try:
            await respond(response_type="ephemeral", replace_original=False, **message(text))
        except Exception:
            log.exception("could not tell the person about an error")


Listener = Callable[..., Awaitable[None]]


def answers_errors(listener: Listener) -> Listener:
    """Catch what a listener raises after ``ack()`` and answer the person ourselves.

    Bolt's own error path can lose an ack that happened just before a fast failure (the
    request then times out as "unhandled"), so listeners never let an error escape.
    Bolt reads the wrapped function's argument names, so ``body`` and ``respond`` must be
    among them.
    """
    names = inspect.getfullargspec(listener).args
    assert "body" in names and "respond" in names, f"{listener.__name__} must take body and respond"

    @functools.wraps(listener)
    async def guarded(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception as error:
            await handle_error(error, kwargs["body"], kwargs["respond"])

    return guarded
