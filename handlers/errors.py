"""Errors become words for the person: a refusal (``SreError``) as it is, anything else as a
short reference that leads to the logged traceback."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SreError
from handlers.blocks.errors import (
    MAYBE_DONE,
    database_timeout_outcome,
    failure_text,
    refusal_text,
)
from handlers.blocks.text import Reply, message
from storage.db import DatabaseTimeout

log = logging.getLogger("artisan_sre.errors")


class InvalidFields(Exception):
    """A form's fields are wrong: ``{block_id: message}``, shown under each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def explain(error: Exception, *, outcome: str, where: str) -> str:
    """The text telling the person about ``error``; an unexpected one is logged with the
    reference the text carries. ``outcome`` says what became of the request."""
    if isinstance(error, SreError):
        return refusal_text(error)
    reference = uuid.uuid4().hex[:10]
    if isinstance(error, DatabaseTimeout):  # an outage, not a bug: no traceback
        log.warning("%s: %s, reference %s", where, error, reference)
        return failure_text(
            reference,
            outcome=database_timeout_outcome(error.seconds, maybe_committed=error.maybe_committed),
        )
    log.error("%s failed unexpectedly, reference %s", where, reference, exc_info=error)
    return failure_text(reference, outcome=outcome)


async def respond_privately(respond: AsyncRespond, reply: Reply, *, replace: bool = False) -> None:
    """Answer through ``response_url``: ephemeral unless the reply says ``in_channel``.
    ``replace``: the answer of a command run again takes the place of the one its first run
    may have sent (for a command, Slack replaces the last ephemeral sent through the URL)."""
    try:
        await respond(**{"response_type": "ephemeral", "replace_original": replace, **reply})
    except Exception:
        log.exception("could not answer through response_url: %s", reply.get("text", ""))


async def post_privately(
    client: AsyncWebClient, *, user: str, channel: str | None, reply: Reply
) -> None:
    """Reach a person who has no ``response_url``: an ephemeral in ``channel``, else a direct
    message from the app. Raises when neither went out."""
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, **reply)
            return
        except Exception as exc:
            log.warning("no ephemeral to %s in %s (%s); sending a DM", user, channel, exc)
    await client.chat_postMessage(channel=user, **reply)


async def tell(client: AsyncWebClient, *, user: str, channel: str | None, reply: Reply) -> None:
    """``post_privately`` for an answer that is not owed (an error): logged when it fails."""
    try:
        await post_privately(client, user=user, channel=channel, reply=reply)
    except Exception:
        log.exception("could not tell %s: %s", user, reply.get("text", ""))


async def handle_error(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None
) -> None:
    """Bolt's last resort, for what fails outside a listener (middleware, Bolt itself)."""
    text = explain(error, outcome=MAYBE_DONE, where="a Slack request")
    if respond is not None:
        await respond_privately(respond, message(text))
