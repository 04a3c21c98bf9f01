"""The door of ``POST /slack/events``: what Bolt is given has been checked first.

In this order, each refusal a short JSON reason, logged as one warning line (no traceback,
no body, which may hold Slack's verification token):

1. the signature (401; 400 when ``X-Slack-Request-Timestamp`` is not whole seconds) — nothing
   from an unsigned body is read;
2. the body: UTF-8, a JSON object or a form whose ``payload`` is a JSON object (400);
3. its shape: a command, a click or a form submission reads into its typed model (400; a
   form gets a notice pushed above it instead, as Slack shows a 400 as "trouble connecting");
4. replays: a signature served before is answered 200 with nothing done
   (``storage/replays.py`` says how long it is remembered, and where).

Only then does Bolt dispatch, on the body parsed here (Bolt's own parser reads any form
whose text contains the word "payload" as an empty body).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from pydantic import ValidationError
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from handlers.blocks.errors import failure_modal, unreadable_form_text
from handlers.payloads import BlockAction, SlackPayload, SlashCommand, ViewSubmission
from storage.replays import SeenRequests

log = logging.getLogger(__name__)

# Slack refuses nothing older; Bolt checks the same window again.
STALE_AFTER_SECONDS = 60 * 5
# How long the replay store may take before the request is served unchecked (then logged).
REPLAY_CHECK_SECONDS = 1.0


# Replay checks that outlived their bound, kept until they end (the loop holds tasks weakly).
_UNFINISHED: set[asyncio.Future[bool]] = set()


def _finished(check: asyncio.Future[bool]) -> None:
    _UNFINISHED.discard(check)
    if not check.cancelled() and check.exception() is not None:
        log.warning("a late replay check failed: %s", check.exception())


class Refused(Exception):
    """The request is not served: ``status`` and the reason sent back."""

    def __init__(self, status: int, reason: str, *, form: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.form = form

    def answer(self) -> web.Response:
        if self.form:
            # Slack shows a 400 on a form as "trouble connecting"; a notice pushed above the
            # form says what happened and keeps what was typed underneath.
            notice = failure_modal(unreadable_form_text(self.reason))
            return web.json_response({"response_action": "push", "view": notice})
        return web.json_response({"error": self.reason}, status=self.status)


@dataclass(frozen=True)
class SlackDoor:
    """Checks one request; ``signing_secret`` None (tests of Bolt alone) skips 1 and 4."""

    signing_secret: str | None
    seen: SeenRequests | None
    now: Callable[[], datetime]

    async def admit(self, request: web.Request) -> AsyncBoltRequest | web.Response:
        """A request for Bolt, or the answer that refuses (or quietly drops) it."""
        raw = await request.read()
        try:
            signature = self._verify(raw, request.headers)
            text = _utf8(raw)
            body = _parse(text, request.content_type)
            _check_shape(body)
        except Refused as refused:
            log.warning("Slack request refused (%s): %s", refused.status, refused.reason)
            return refused.answer()
        try:
            bolt_request = _for_bolt(request, text, body)
        except Exception as exc:  # Bolt reads team, enterprise, user… as it assumes they are
            kind = "slash command" if "command" in body else str(body.get("type") or "request")
            reason = f"the {kind}'s fields are not Slack's ({type(exc).__name__})"
            log.warning("Slack request refused (400): %s", reason)
            return web.json_response({"error": reason}, status=400)
        # Remembered only once it is admitted, so a refusal stores nothing.
        if signature is not None and not await self._first_time(signature):
            log.info("a replayed Slack request was acknowledged and ignored")
            return web.Response(status=200)
        return bolt_request

    async def _first_time(self, signature: str) -> bool:
        """Whether this signature is new. When its store cannot answer the request is served
        (its own work then meets the same outage and says so); a replay in that moment is
        the lesser harm than refusing every command."""
        if self.seen is None:
            return True
        check = asyncio.ensure_future(self.seen.first_time(signature, now=self.now()))
        try:
            # Bounded well inside Slack's 3 s: the ack must not wait on a stalled store. The
            # check itself is left to finish (its own bound ends it), so the signature is
            # still remembered. Cancelling it would not answer sooner on SQLite: SQLAlchemy
            # closes a cancelled connection behind the wait for the write lock.
            return await asyncio.wait_for(asyncio.shield(check), REPLAY_CHECK_SECONDS)
        except Exception as exc:
            if not check.done():
                _UNFINISHED.add(check)
                check.add_done_callback(_finished)
            log.warning("replays cannot be checked (%s: %s)", type(exc).__name__, exc)
            return True

    def _verify(self, raw: bytes, headers: Mapping[str, str]) -> str | None:
        if self.signing_secret is None:
            return None
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not timestamp or not signature:
            raise Refused(401, "the request is not signed")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            raise Refused(400, "X-Slack-Request-Timestamp is not a time in whole seconds")
        if abs(self.now().timestamp() - int(timestamp)) > STALE_AFTER_SECONDS:
            raise Refused(401, "the request is older or newer than five minutes")
        # Over the bytes as they came (slack_sdk's verifier decodes them first, and fails).
        base = b"v0:" + timestamp.encode() + b":" + raw
        expected = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode(errors="replace")):
            raise Refused(401, "the signature does not match the body")
        return signature


def _for_bolt(request: web.Request, text: str, body: dict[str, Any]) -> AsyncBoltRequest:
    """Bolt's request over the body parsed here (Bolt would parse the text again, and read a
    form whose text says "payload" as an empty interaction)."""
    headers: dict[str, str | Sequence[str]] = {}
    for name in request.headers:
        headers[name] = request.headers.getall(name)
    bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=headers)
    bolt_request.raw_body = text
    bolt_request.body = body
    bolt_request.context = build_async_context(AsyncBoltContext(), body)
    return bolt_request


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, "the body is not UTF-8 text") from exc


def _parse(text: str, content_type: str) -> dict[str, Any]:
    """The body as Slack sends it: JSON (events) or a form (commands; ``payload=`` JSON for
    interactions). Anything else is refused."""
    if not text:
        raise Refused(400, "the body is empty")
    if content_type == "application/json" or text.startswith(("{", "[")):
        return _json_object(text, what="the JSON body")
    form = dict(parse_qsl(text, keep_blank_values=True))
    if not form:
        raise Refused(400, "the body is neither JSON nor a form")
    if "payload" in form:
        return _json_object(form["payload"], what="the payload field")
    return form


def _json_object(text: str, *, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except RecursionError as exc:  # deeper than any Slack payload
        raise Refused(400, f"{what} is nested too deeply") from exc
    except ValueError as exc:
        raise Refused(400, f"{what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")
    return value


_SHAPES: dict[str, type[SlackPayload]] = {
    "block_actions": BlockAction,
    "view_submission": ViewSubmission,
}


def _check_shape(body: dict[str, Any]) -> None:
    """A command, click or submission must read into its model before any listener runs."""
    if "command" in body:
        model: type[SlackPayload] = SlashCommand
        what = "slash command"
    elif body.get("type") in _SHAPES:
        what = str(body["type"])
        model = _SHAPES[what]
    else:
        return  # events and other kinds: Bolt answers what it has no listener for
    try:
        model.model_validate(body)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in error["loc"]) for error in exc.errors()})
        raise Refused(
            400,
            f"the {what} is missing or has wrong fields: {', '.join(fields[:5])}",
            form=what == "view_submission",
        ) from exc
