"""The emulator's HTTP face: Slack's Web API envelope, response URLs, uploads, /_sandbox.

Every ``/api/<method>`` request is authenticated with the bot token, may be answered by
an injected fault (429 + ``Retry-After``, or an error), then goes to the method table.
Each is recorded as a ``RecordedCall``, whatever the outcome.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass

from aiohttp import web

from sandbox.slack import methods_chat, methods_files, methods_views, responses, wire
from sandbox.slack.records import ApiError, JsonDict, RecordedCall
from sandbox.slack.workspace import Args, Method, Workspace

METHODS: dict[str, Method] = {
    **methods_chat.METHODS,
    **methods_views.METHODS,
    **methods_files.METHODS,
}
SCOPES = "chat:write,chat:write.public,commands,users:read,usergroups:write,files:write"


@dataclass(frozen=True)
class Fault:
    """An injected answer: ``retry_after`` set means HTTP 429 ``ratelimited``."""

    error: str
    retry_after: int | None = None


class Faults:
    """Queued faults per method, consumed one per call."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}

    def add(self, method: str, fault: Fault, times: int) -> None:
        self._queues.setdefault(method, deque()).extend([fault] * times)

    def take(self, method: str) -> Fault | None:
        queue = self._queues.get(method)
        return queue.popleft() if queue else None

    def clear(self) -> None:
        self._queues.clear()


class EmulatorServer:
    """aiohttp handlers over one workspace."""

    def __init__(self, workspace: Workspace, faults: Faults) -> None:
        self.workspace = workspace
        self.faults = faults

    def application(self) -> web.Application:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{url_id}", self._response_url)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/_sandbox/state", self._sandbox_state)
        app.router.add_get("/_sandbox/calls", self._sandbox_calls)
        app.router.add_get("/_sandbox/violations", self._sandbox_violations)
        app.router.add_get("/_sandbox/messages/{channel}", self._sandbox_messages)
        return app

    # ----- HTTP: Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        http_method = request.method
        try:
            args = await wire.read_args(request)
        except ApiError as exc:
            return self._answer(method, {}, http_method, error=exc)
        token = wire.bearer(request) or args.get("token")
        args.pop("token", None)
        handler = METHODS.get(method)
        if handler is None:
            return self._answer(method, args, http_method, error=ApiError("unknown_method"))
        if not token:
            return self._answer(method, args, http_method, error=ApiError("not_authed"))
        if token != self.workspace.identity.bot_token:
            return self._answer(method, args, http_method, error=ApiError("invalid_auth"))
        fault = self.faults.take(method)
        if fault is not None:
            return self._answer(
                method,
                args,
                http_method,
                error=ApiError(fault.error),
                retry_after=fault.retry_after,
            )
        try:
            result = handler(self.workspace, Args(args))
        except ApiError as exc:
            return self._answer(method, args, http_method, error=exc)
        return self._answer(method, args, http_method, result=result)

    def _answer(
        self,
        method: str,
        args: JsonDict,
        http_method: str,
        *,
        result: JsonDict | None = None,
        error: ApiError | None = None,
        retry_after: int | None = None,
    ) -> web.Response:
        status = 429 if retry_after is not None else 200
        body: JsonDict = {"ok": error is None, **(result or {})}
        headers = {"X-OAuth-Scopes": SCOPES}
        if error is not None:
            body["error"] = error.error
            if error.messages:
                body["response_metadata"] = {"messages": error.messages}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        self.workspace.calls.append(
            RecordedCall(
                method=method,
                args=args,
                status=status,
                ok=error is None,
                error=error.error if error else None,
                at=self.workspace.now(),
                http_method=http_method,
            )
        )
        return web.json_response(body, status=status, headers=headers)

    # ----- HTTP: response URLs and uploads

    async def _response_url(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        status, answer = responses.deliver(self.workspace, request.match_info["url_id"], body)
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
