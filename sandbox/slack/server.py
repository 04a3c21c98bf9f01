"""The emulator's HTTP face: Slack's Web API envelope, response URLs, uploads, /_sandbox,
and the Socket Mode WebSocket (``/link/``, handed out by ``apps.connections.open``).

Every ``/api/<method>`` request goes through the same steps, in this order:

1. wait while Slack hangs (``Faults.hold``);
2. answer 503 ``service_unavailable`` during an outage, doing nothing;
3. authenticate with the bot token, then take a queued refusal (429 or an error);
4. run the method, and record the call with the status it will be answered with;
5. only when the work was done: run the hooks, then stall the answer if asked to;
6. answer: the result, or an error the work did not prevent (``fail_after_work``).

The call is recorded before the hooks and the stall, so a client that gives up (or is
killed) while waiting loses nothing the emulator saw.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from sandbox.slack import (
    methods_chat,
    methods_conversations,
    methods_files,
    methods_views,
    responses,
    wire,
)
from sandbox.slack.faults import Faults
from sandbox.slack.records import ApiError, JsonDict, RecordedCall
from sandbox.slack.socket_mode import APP_LEVEL, SocketMode
from sandbox.slack.workspace import Args, Method, Workspace

METHODS: dict[str, Method] = {
    **methods_chat.METHODS,
    **methods_conversations.METHODS,
    **methods_views.METHODS,
    **methods_files.METHODS,
}
SCOPES = "chat:write,chat:write.public,commands,users:read,usergroups:write,files:write"
UNAVAILABLE: JsonDict = {"ok": False, "error": "service_unavailable"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How one Web API call ends: ``result`` is set when the method did its work."""

    result: JsonDict | None = None
    error: ApiError | None = None
    status: int = 200
    retry_after: int | None = None

    def body(self) -> JsonDict:
        if self.error is None:
            return {"ok": True, **(self.result or {})}
        body: JsonDict = {"ok": False, "error": self.error.error}
        if self.error.messages:
            body["response_metadata"] = {"messages": self.error.messages}
        return body


class EmulatorServer:
    """aiohttp handlers over one workspace."""

    def __init__(self, workspace: Workspace, faults: Faults, socket_mode: SocketMode) -> None:
        self.workspace = workspace
        self.faults = faults
        self.socket_mode = socket_mode
        self.methods = {**METHODS, **socket_mode.methods()}

    def application(self) -> web.Application:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{url_id}", self._response_url)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/link/", self.socket_mode.connection)
        app.router.add_get("/_sandbox/state", self._sandbox_state)
        app.router.add_get("/_sandbox/calls", self._sandbox_calls)
        app.router.add_get("/_sandbox/violations", self._sandbox_violations)
        app.router.add_get("/_sandbox/messages/{channel}", self._sandbox_messages)
        return app

    # ----- HTTP: Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        unreadable: ApiError | None = None
        try:
            args = await wire.read_args(request)
        except ApiError as exc:
            args, unreadable = {}, exc
        token = wire.bearer(request) or args.pop("token", None)
        args.pop("token", None)  # never recorded, whichever way it came
        await self.faults.hold()
        if self.faults.out:
            outcome = Outcome(error=ApiError("service_unavailable"), status=503)
        elif unreadable is not None:
            outcome = Outcome(error=unreadable)
        else:
            outcome = self._run(method, args, token)
        call = self._record(method, args, request.method, outcome)
        if outcome.result is not None:
            await self._run_hooks(method, call, outcome.result)
            await self.faults.delay_answer(method)
        headers = {"X-OAuth-Scopes": SCOPES}
        if outcome.retry_after is not None:
            headers["Retry-After"] = str(outcome.retry_after)
        return web.json_response(outcome.body(), status=outcome.status, headers=headers)

    def _run(self, method: str, args: JsonDict, token: Any) -> Outcome:
        """Authenticate, take a queued refusal, or do the method's work."""
        handler = self.methods.get(method)
        if handler is None:
            return Outcome(error=ApiError("unknown_method"))
        if not token:
            return Outcome(error=ApiError("not_authed"))
        identity = self.workspace.identity
        if token != (identity.app_token if method in APP_LEVEL else identity.bot_token):
            return Outcome(error=ApiError("invalid_auth"))
        fault = self.faults.take_refusal(method)
        if fault is not None:
            status = 429 if fault.retry_after is not None else 200
            return Outcome(
                error=ApiError(fault.error), status=status, retry_after=fault.retry_after
            )
        try:
            result = handler(self.workspace, Args(args))
        except ApiError as exc:
            return Outcome(error=exc)
        failure = self.faults.take_failure(method)
        if failure is not None:  # the work stands; only the answer says otherwise
            status, error = failure
            return Outcome(result=result, error=ApiError(error), status=status)
        return Outcome(result=result)

    def _record(
        self, method: str, args: JsonDict, http_method: str, outcome: Outcome
    ) -> RecordedCall:
        call = RecordedCall(
            method=method,
            args=args,
            status=outcome.status,
            ok=outcome.error is None,
            error=outcome.error.error if outcome.error else None,
            at=self.workspace.now(),
            http_method=http_method,
        )
        self.workspace.calls.append(call)
        return call

    async def _run_hooks(self, method: str, call: RecordedCall, result: JsonDict) -> None:
        """Await each hook; one that raises is logged and made a violation, not a crash."""
        for hook in self.faults.hooks_for(method):
            try:
                await hook(call, result)
            except Exception as exc:
                log.exception("on_call hook for %s raised", method)
                self.workspace.violations.append(f"on_call hook for {method} raised {exc!r}")

    # ----- HTTP: response URLs and uploads

    async def _response_url(self, request: web.Request) -> web.Response:
        url_id = request.match_info["url_id"]
        try:
            body = json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        await self.faults.hold()
        if self.faults.out:
            answer = json.dumps(UNAVAILABLE)
            posted = body if isinstance(body, dict) else {}
            responses.refuse(self.workspace, url_id, posted, status=503, answer=answer)
            return web.json_response(UNAVAILABLE, status=503)
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        status, answer = responses.deliver(self.workspace, url_id, body)
        return web.Response(status=status, text=answer)

    async def _upload(self, request: web.Request) -> web.Response:
        content = await wire.uploaded_bytes(request)
        upload = methods_files.receive_upload(
            self.workspace, request.match_info["file_id"], content
        )
        if upload is None:
            return web.Response(status=404, text="file_not_found")
        return web.Response(text=f"OK - {len(content)}")

    # ----- HTTP: sandbox views

    async def _sandbox_state(self, request: web.Request) -> web.Response:
        return web.json_response(wire.sandbox_state(self.workspace))

    async def _sandbox_calls(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(c) for c in self.workspace.calls])

    async def _sandbox_violations(self, request: web.Request) -> web.Response:
        return web.json_response(self.workspace.violations)

    async def _sandbox_messages(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        found = self.workspace.channel_messages.get(channel, [])
        return web.json_response([asdict(m) for m in found])
