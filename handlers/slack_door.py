"""The door of ``POST /slack/events`` (and of Socket Mode's envelopes): store, then ack.

In this order, each refusal a short JSON reason, logged as one warning line (no traceback,
no body, which may hold Slack's verification token):

1. the signature (401; 400 when ``X-Slack-Request-Timestamp`` is not whole seconds) — nothing
   from an unsigned body is read;
2. the body: UTF-8, a JSON object or a form whose ``payload`` is a JSON object (400);
3. its shape: a command, a click or a form submission reads into its typed model, and Bolt
   can read its context (400; a form gets a notice pushed above it instead, as Slack shows a
   400 as "trouble connecting");
4. a form's fields, which Slack shows under the fields only in the ack (``Forms``);
5. the inbox (``bot/inbox``): the request is stored before the ack, its key unique, so a
   replay is a conflict and is acknowledged with nothing done. A request the database does
   not take within ``STORE_WITHIN`` is answered "nothing was recorded and nothing was done"
   (the command's ephemeral, a button's ``response_url``, a notice above a form; an event
   gets 503, and Slack delivers it again), and never acted on.

Bolt then runs it in the inbox's worker, here or in a worker process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from pydantic import ValidationError
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.inbox.model import RequestKind, SlackRequest, Stored
from bot.inbox.service import STORE_WITHIN, Inbox
from bot.work.worker import in_background
from handlers.blocks.errors import (
    NOTHING_CHANGED,
    failure_modal,
    not_recorded_text,
    unreadable_form_text,
)
from handlers.errors import InvalidFields, explain
from handlers.listeners import Forms
from handlers.payloads import BlockAction, SlackPayload, SlashCommand, ViewSubmission

log = logging.getLogger(__name__)

# Slack refuses nothing older; Bolt checks the same window again.
STALE_AFTER_SECONDS = 60 * 5


class Refused(Exception):
    """The request is not served: ``status`` and the reason sent back."""

    def __init__(self, status: int, reason: str, *, form: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.form = form

    def ack(self) -> Ack:
        log.warning("Slack request refused (%s): %s", self.status, self.reason)
        if self.form:
            # Slack shows a 400 on a form as "trouble connecting"; a notice pushed above the
            # form says what happened and keeps what was typed underneath.
            notice = failure_modal(unreadable_form_text(self.reason))
            return Ack(body={"response_action": "push", "view": notice})
        return Ack(status=self.status, body={"error": self.reason})


@dataclass(frozen=True)
class Ack:
    """What the door answers Slack: a status and, for some, a body (a challenge, a form's
    errors, a command's ephemeral)."""

    status: int = 200
    body: dict[str, Any] | None = None

    def http(self) -> web.Response:
        if self.body is None:
            return web.Response(status=self.status)
        return web.json_response(self.body, status=self.status)


@dataclass(frozen=True)
class SlackDoor:
    """Checks, stores and acks one request; ``signing_secret`` None (Socket Mode, where the
    connection is the proof) skips 1, and every request is then new (no replay check)."""

    signing_secret: str | None
    inbox: Inbox
    forms: Forms
    now: Callable[[], datetime]

    async def admit(self, request: web.Request) -> web.Response:
        """The answer to one HTTP request: its ack, or the refusal."""
        raw = await request.read()
        try:
            signature = self._verify(raw, request.headers)
            text = _utf8(raw)
            body = _parse(text, request.content_type)
        except Refused as refused:
            return refused.ack().http()
        return (await self.take(body, key=signature)).http()

    async def take(self, body: dict[str, Any], *, key: str | None) -> Ack:
        """Store a request that passed 1–3 and say what its ack is; ``key`` is what makes a
        replay a replay (an event's ID takes its place: Slack redelivers with a new
        signature), None for none."""
        if body.get("type") == "url_verification":
            return Ack(body={"challenge": str(body.get("challenge", ""))})
        kind = _kind(body)
        try:
            payload = _read(body, kind)
        except Refused as refused:
            return refused.ack()
        try:
            build_async_context(AsyncBoltContext(), body)
        except Exception as exc:  # Bolt reads team, enterprise, user… as it assumes they are
            reason = f"the {_what(body)}'s fields are not Slack's ({type(exc).__name__})"
            return Refused(400, reason).ack()
        if isinstance(payload, ViewSubmission):
            form_refused = self._check_form(payload)
            if form_refused is not None:
                return form_refused
        event_id = body.get("event_id") if kind is RequestKind.EVENT else None
        if isinstance(event_id, str) and event_id:
            key = f"event:{event_id}"
        request = SlackRequest(
            key=key or f"unsigned:{uuid.uuid4().hex}", kind=kind, body=json.dumps(body)
        )
        stored = await self.inbox.accept(request=request)
        if stored is Stored.NOT_RECORDED:
            return _not_recorded(kind, body)
        return Ack()

    def _check_form(self, submission: ViewSubmission) -> Ack | None:
        try:
            self.forms.check(submission)
        except InvalidFields as invalid:
            return Ack(body={"response_action": "errors", "errors": invalid.errors})
        except Exception as error:
            text = explain(
                error, outcome=NOTHING_CHANGED, where=f"modal {submission.view.callback_id}"
            )
            return Ack(body={"response_action": "push", "view": failure_modal(text)})
        return None

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


def _kind(body: dict[str, Any]) -> RequestKind:
    if "command" in body:
        return RequestKind.COMMAND
    return _KINDS.get(str(body.get("type")), RequestKind.OTHER)


_KINDS = {
    "block_actions": RequestKind.ACTION,
    "view_submission": RequestKind.FORM,
    "event_callback": RequestKind.EVENT,
}


def _not_recorded(kind: RequestKind, body: dict[str, Any]) -> Ack:
    """The ack of a request the inbox did not take: told plainly, where the kind allows."""
    text = not_recorded_text(STORE_WITHIN)
    if kind is RequestKind.COMMAND:
        return Ack(body={"response_type": "ephemeral", "text": text})
    if kind is RequestKind.FORM:
        return Ack(body={"response_action": "push", "view": failure_modal(text)})
    if kind is RequestKind.ACTION:
        url = body.get("response_url")
        if isinstance(url, str) and url:
            in_background(_tell(url, text))
        return Ack()
    return Ack(status=503, body={"error": "not recorded; deliver it again"})


async def _tell(response_url: str, text: str) -> None:
    try:
        await AsyncWebhookClient(response_url).send(
            response_type="ephemeral", replace_original=False, text=text
        )
    except Exception as exc:
        log.warning("could not say a click was not recorded (%s)", exc)


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


_SHAPES: dict[RequestKind, type[SlackPayload]] = {
    RequestKind.COMMAND: SlashCommand,
    RequestKind.ACTION: BlockAction,
    RequestKind.FORM: ViewSubmission,
}


def _what(body: dict[str, Any]) -> str:
    """What a refusal calls the request."""
    return "slash command" if "command" in body else str(body.get("type"))


def _read(body: dict[str, Any], kind: RequestKind) -> SlackPayload | None:
    """A command, click or submission read into its model before any listener runs; None
    for events and other kinds (no listener of ours reads them)."""
    model = _SHAPES.get(kind)
    if model is None:
        return None
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in error["loc"]) for error in exc.errors()})
        raise Refused(
            400,
            f"the {_what(body)} is missing or has wrong fields: {', '.join(fields[:5])}",
            form=kind is RequestKind.FORM,
        ) from exc
