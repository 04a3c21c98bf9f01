"""``SlackDriver``: send Slack-signed requests to the app's Request URL over real HTTP.

It speaks exactly as Slack does: slash commands form-encoded,
interactivity as ``payload=<urlencoded JSON>``, events as JSON, each signed with
``v0=HMAC-SHA256(secret, "v0:{ts}:{body}")`` in ``X-Slack-Signature`` next to
``X-Slack-Request-Timestamp``. Response URLs and trigger ids in the payloads are issued
by the emulator, so whatever the app does next is recorded there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from sandbox.slack.emulator import SlackEmulator
from sandbox.slack.payloads import Payloads
from sandbox.slack.records import JsonDict

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass
class DriverResponse:
    """The app's HTTP answer to one request, and what the request carried."""

    status: int
    text: str
    content_type: str
    elapsed: float
    payload: JsonDict = field(default_factory=dict)
    response_url: str | None = None
    trigger_id: str | None = None

    def json(self) -> JsonDict | None:
        """The body as a JSON object, or None when the app answered empty or plain text."""
        if not self.text.strip().startswith("{"):
            return None
        body = json.loads(self.text)
        return body if isinstance(body, dict) else None


class SlackDriver:
    """Plays Slack towards a running app: signed slash commands, clicks, submissions, events."""

    def __init__(
        self,
        *,
        app_url: str,
        signing_secret: str,
        emulator: SlackEmulator,
        team_id: str | None = None,
        clock_skew_seconds: int = 0,
        events_path: str = "/slack/events",
        verification_token: str = "sandbox-verification-token",
        enterprise_id: str | None = "E0ARTISAN",
        enterprise_name: str | None = "Artisan",
    ) -> None:
        base = app_url.rstrip("/")
        self.request_url = base if base.endswith(events_path) else base + events_path
        self.emulator = emulator
        self.clock_skew_seconds = clock_skew_seconds
        self.payloads = Payloads(
            emulator=emulator,
            team_id=team_id or emulator.team_id,
            verification_token=verification_token,
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name,
        )
        self._verifier = SignatureVerifier(signing_secret)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackDriver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ----- signing

    def timestamp(self) -> str:
        """``X-Slack-Request-Timestamp`` for now, shifted by ``clock_skew_seconds``."""
        return str(int(time.time()) + self.clock_skew_seconds)

    def sign(self, body: bytes | str, timestamp: str) -> str:
        """``X-Slack-Signature`` for ``body`` sent at ``timestamp``."""
        signature = self._verifier.generate_signature(timestamp=timestamp, body=body)
        assert signature is not None  # only None when timestamp is None
        return signature

    # ----- what Slack sends

    async def slash(
        self, command: str, text: str = "", *, user: str, channel: str = "C0GENERAL"
    ) -> DriverResponse:
        """A slash command invocation, e.g. ``slash("/incident", "sev2 db down", user=...)``."""
        fields = self.payloads.slash_command(command, text, user=user, channel=channel)
        return await self._signed(
            urlencode(fields).encode(),
            FORM,
            payload=dict(fields),
            response_url=fields["response_url"],
            trigger_id=fields["trigger_id"],
        )

    async def click(
        self,
        *,
        channel: str,
        ts: str,
        action_id: str,
        user: str,
        value: str | None = None,
        seen: int | None = None,
    ) -> DriverResponse:
        """``user`` clicks the button ``action_id`` (and ``value``, if given) of a message;
        of its version ``seen`` (an index into its edits) when their client lags behind."""
        payload = self.payloads.block_actions(
            channel=channel, ts=ts, action_id=action_id, user=user, value=value, seen=seen
        )
        return await self._interaction(payload)

    async def submit_view(
        self, *, view_id: str, values: Mapping[str, Mapping[str, Any]], user: str
    ) -> DriverResponse:
        """``user`` submits an open modal; the app's ack is applied to the emulator's view."""
        payload = self.payloads.view_submission(view_id=view_id, values=values, user=user)
        self.emulator.view(view_id).payload["state"] = payload["view"]["state"]
        response = await self._interaction(payload)
        if response.status == 200:
            self.emulator.apply_view_response(view_id, response.json())
        return response

    async def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> DriverResponse:
        """An Events API delivery; ``retry_num`` adds Slack's redelivery headers."""
        envelope = self.payloads.event_callback(event, event_id=event_id)
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self._signed(json.dumps(envelope).encode(), JSON, envelope, headers)

    async def send_raw(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: str | None,
        signature: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> DriverResponse:
        """POST exactly these bytes and headers (None omits a header): forged/stale requests."""
        sent = {"Content-Type": content_type, **(headers or {})}
        if timestamp is not None:
            sent["X-Slack-Request-Timestamp"] = timestamp
        if signature is not None:
            sent["X-Slack-Signature"] = signature
        if self._session is None:
            self._session = aiohttp.ClientSession()
        started = time.perf_counter()
        async with self._session.post(self.request_url, data=body, headers=sent) as answer:
            text = await answer.text()
            return DriverResponse(
                status=answer.status,
                text=text,
                content_type=answer.content_type,
                elapsed=time.perf_counter() - started,
            )

    # ----- plumbing

    async def _interaction(self, payload: JsonDict) -> DriverResponse:
        body = f"payload={quote(json.dumps(payload))}".encode()
        return await self._signed(
            body,
            FORM,
            payload,
            response_url=payload.get("response_url"),
            trigger_id=payload.get("trigger_id"),
        )

    async def _signed(
        self,
        body: bytes,
        content_type: str,
        payload: JsonDict,
        headers: Mapping[str, str] | None = None,
        *,
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> DriverResponse:
        timestamp = self.timestamp()
        response = await self.send_raw(
            body,
            content_type=content_type,
            timestamp=timestamp,
            signature=self.sign(body, timestamp),
            headers=headers,
        )
        response.payload = payload
        response.response_url = response_url
        response.trigger_id = trigger_id
        return response
