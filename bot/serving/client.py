"""Async client of the model-serving process (docs/operations.md#the-serving-process).

Every call is bounded by a timeout. Reads (GET) are retried with a short
backoff; admin POSTs are sent exactly once, because a downshift or rollback
sent twice is a second action, not a retry.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from bot.serving.models import (
    AllModelsHealth,
    BreakerChange,
    Breakers,
    BreakerState,
    Checkpoints,
    Mode,
    ModelHealth,
    ModelStatus,
    ProcessHealth,
    Replicas,
    ReplicasChange,
    RollbackRequest,
    Routing,
    RoutingChange,
)
from bot.urls import masked_url

JSONObject = dict[str, Any]
_Answer = TypeVar("_Answer", bound=BaseModel)


class ServingError(Exception):
    """A call to the serving process failed; ``str()`` is safe to show an operator."""

    def __init__(self, reason: str, *, method: str, route: str, status: int | None = None) -> None:
        super().__init__(f"serving {method} {route}: {reason}")
        self.reason = reason
        self.method = method
        self.route = route
        self.status = status


class ServingUnavailable(ServingError):
    """No usable answer: connection error, timeout or a 5xx."""


class ServingRejected(ServingError):
    """The server refused the call (4xx); ``reason`` carries the server's message."""


@dataclass(frozen=True)
class PlannedCall:
    """An admin call described but not made: what a dry run shows and a run persists."""

    method: str
    url: str
    json: JSONObject

    def __str__(self) -> str:
        return f"{self.method} {self.url} {json.dumps(self.json, sort_keys=True)}"


@dataclass(frozen=True)
class ModelHealthCheck:
    """Outcome of one health probe of one model; a failed probe is data, never an exception."""

    model: str
    ok: bool
    reason: str
    status: ModelStatus | None = None
    health: ModelHealth | None = None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: Any  # parsed JSON, or None when the body was empty or not JSON
    text: str


class ServingClient:
    """Typed access to the serving process's health and admin routes."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float = 5.0,
        read_retries: int = 2,
        retry_backoff: float = 0.1,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if read_retries < 0:
            raise ValueError("read_retries must be zero or more")
        self.base_url = base_url.rstrip("/")
        # What a planned call, a run message or the database shows: never the password.
        self.shown_url = masked_url(self.base_url)
        self._timeout = timeout
        self._read_retries = read_retries
        self._retry_backoff = retry_backoff
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> ServingClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client created it; an injected session is the caller's."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    # -- process and model health -------------------------------------------------------

    async def live(self) -> ProcessHealth:
        return await self._probe("/health/live")

    async def ready(self) -> ProcessHealth:
        """Readiness; a 503 answer is "not ready" (``ok=False``), not an exception."""
        return await self._probe("/health/ready")

    async def model_health(self, model: str, *, retries: int | None = None) -> ModelHealth:
        reply = await self._get("/health/llm", params={"model": model}, retries=retries)
        return self._parse(ModelHealth, reply, "GET", f"/health/llm?model={model}")

    async def all_models_health(self, *, retries: int | None = None) -> AllModelsHealth:
        reply = await self._get("/health/llm/all", retries=retries)
        return self._parse(AllModelsHealth, reply, "GET", "/health/llm/all")

    async def check_model(self, model: str) -> ModelHealthCheck:
        """One probe, no retries (the runbook counts consecutive failures); never raises.

        ``ok`` means the model can infer: healthy, or degraded but inference-ready.
        """
        try:
            reply = await self._get("/health/llm", params={"model": model}, retries=0)
            health = self._parse(ModelHealth, reply, "GET", f"/health/llm?model={model}")
        except ServingError as exc:
            return ModelHealthCheck(model=model, ok=False, reason=str(exc))
        if health.status is ModelStatus.UNHEALTHY or not health.inference_ready:
            problem = health.error_message or "no error message given"
            reason = f"{health.status.value}, not inference-ready: {problem}"
            return ModelHealthCheck(model, False, reason, health.status, health)
        reason = health.status.value
        if health.status is ModelStatus.DEGRADED and health.error_message:
            reason = f"degraded: {health.error_message}"
        return ModelHealthCheck(model, True, reason, health.status, health)

    # -- admin: reads ---------------------------------------------------------------------

    async def routing(self) -> Routing:
        return self._parse(Routing, await self._get("/admin/routing"), "GET", "/admin/routing")

    async def breakers(self) -> Breakers:
        route = "/admin/circuit-breaker"
        return self._parse(Breakers, await self._get(route), "GET", route)

    async def checkpoints(self) -> Checkpoints:
        route = "/admin/rl/checkpoints"
        return self._parse(Checkpoints, await self._get(route), "GET", route)

    async def replicas(self) -> Replicas:
        return self._parse(Replicas, await self._get("/admin/replicas"), "GET", "/admin/replicas")

    # -- admin: planned calls (dry run) and changes (sent once) ---------------------------

    def describe_set_routing(self, mode: Mode, serve_with: Mode) -> PlannedCall:
        return self._plan("/admin/routing", RoutingChange(mode=mode, serve_with=serve_with))

    def describe_set_breaker(self, model: str, state: BreakerState) -> PlannedCall:
        return self._plan("/admin/circuit-breaker", BreakerChange(model=model, state=state))

    def describe_rollback(self, checkpoint_id: str) -> PlannedCall:
        return self._plan("/admin/rl/rollback", RollbackRequest(checkpoint=checkpoint_id))

    def describe_set_replicas(self, replicas: int) -> PlannedCall:
        return self._plan("/admin/replicas", ReplicasChange(replicas=replicas))

    async def set_routing(self, mode: Mode, serve_with: Mode) -> Routing:
        """Route ``mode`` to ``serve_with`` (a downshift); equal values restore the mode."""
        reply = await self.perform(self.describe_set_routing(mode, serve_with))
        return await self._answer_or_read_back(Routing, reply, "/admin/routing", self.routing)

    async def set_breaker(self, model: str, state: BreakerState) -> Breakers:
        reply = await self.perform(self.describe_set_breaker(model, state))
        route = "/admin/circuit-breaker"
        return await self._answer_or_read_back(Breakers, reply, route, self.breakers)

    async def rollback(self, checkpoint_id: str) -> Checkpoints:
        """Make ``checkpoint_id`` current; an unknown id is a ServingRejected (404)."""
        reply = await self.perform(self.describe_rollback(checkpoint_id))
        route = "/admin/rl/rollback"
        return await self._answer_or_read_back(Checkpoints, reply, route, self.checkpoints)

    async def set_replicas(self, replicas: int) -> Replicas:
        reply = await self.perform(self.describe_set_replicas(replicas))
        route = "/admin/replicas"
        return await self._answer_or_read_back(Replicas, reply, route, self.replicas)

    async def perform(self, call: PlannedCall) -> Any:
        """Send a planned admin call exactly once and return the answer's JSON."""
        base = next(
            (b for b in (self.shown_url, self.base_url) if call.url.startswith(b + "/")), None
        )
        if call.method != "POST" or base is None:
            raise ValueError(f"not an admin call of this client: {masked_url(call.url)}")
        route = call.url[len(base) :]
        reply = await self._send("POST", route, json_body=call.json)
        return reply.body

    # -- plumbing -------------------------------------------------------------------------

    def _plan(self, route: str, body: BaseModel) -> PlannedCall:
        return PlannedCall("POST", f"{self.shown_url}{route}", body.model_dump(mode="json"))

    async def _probe(self, route: str) -> ProcessHealth:
        reply = await self._get(route, accept=(200, 503))
        body = reply.body if isinstance(reply.body, dict) else {"detail": reply.text[:200] or None}
        fields = {"status": "ok" if reply.status == 200 else "unavailable", **body}
        return ProcessHealth.model_validate({**fields, "ok": reply.status == 200})

    async def _get(
        self,
        route: str,
        *,
        params: dict[str, str] | None = None,
        accept: Collection[int] = range(200, 300),
        retries: int | None = None,
    ) -> _Reply:
        """A read, retried on unavailability with exponential backoff; 4xx is never retried."""
        attempts = 1 + (self._read_retries if retries is None else retries)
        for attempt in range(1, attempts + 1):
            try:
                return await self._send("GET", route, params=params, accept=accept)
            except ServingUnavailable as exc:
                if attempt == attempts:
                    if attempts > 1:
                        reason = f"{exc.reason} (tried {attempts} times)"
                        raise ServingUnavailable(
                            reason, method=exc.method, route=exc.route, status=exc.status
                        ) from exc
                    raise
                await asyncio.sleep(self._retry_backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        method: str,
        route: str,
        *,
        params: dict[str, str] | None = None,
        json_body: JSONObject | None = None,
        accept: Collection[int] = range(200, 300),
    ) -> _Reply:
        """One HTTP exchange, mapped onto the error hierarchy."""
        shown = (
            route if not params else f"{route}?" + "&".join(f"{k}={v}" for k, v in params.items())
        )
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        try:
            async with self._client_session().request(
                method, self.base_url + route, params=params, json=json_body, timeout=timeout
            ) as response:
                text = await response.text()
                status = response.status
        except TimeoutError as exc:
            reason = f"no answer within {self._timeout:g}s"
            if method != "GET":
                reason += "; the change may or may not have been applied, read the state back"
            raise ServingUnavailable(reason, method=method, route=shown) from exc
        except aiohttp.ClientError as exc:
            raise ServingUnavailable(_connection_reason(exc), method=method, route=shown) from exc
        reply = _Reply(status, _json_or_none(text), text)
        if status in accept:
            return reply
        message = _server_message(reply)
        if status >= 500:
            raise ServingUnavailable(
                f"answered {status}: {message}", method=method, route=shown, status=status
            )
        if 400 <= status < 500:
            raise ServingRejected(message, method=method, route=shown, status=status)
        raise ServingError(
            f"unexpected answer {status}: {message}", method=method, route=shown, status=status
        )

    def _parse(self, model: type[_Answer], reply: _Reply, method: str, route: str) -> _Answer:
        try:
            return model.model_validate(reply.body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            reason = f"answered with an unexpected body ({where}: {first['msg']})"
            raise ServingError(reason, method=method, route=route, status=reply.status) from exc

    async def _answer_or_read_back(
        self,
        model: type[_Answer],
        body: Any,
        route: str,
        read: Callable[[], Awaitable[_Answer]],
    ) -> _Answer:
        """The POST's answer when it has the GET's shape; otherwise read the state back.

        The serving API fixes the GET shapes but not the POST answers, so a server that answers
        ``{"ok": true}`` still yields the state after the change.
        """
        try:
            return model.model_validate(body)
        except ValidationError:
            return await read()

    def _client_session(self) -> aiohttp.ClientSession:
        # Created lazily: a ClientSession must be made inside the running event loop.
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _server_message(reply: _Reply) -> str:
    """The server's own explanation: FastAPI's ``detail``, or ``error``/``message``."""
    if isinstance(reply.body, dict):
        for key in ("detail", "error", "message"):
            value = reply.body.get(key)
            if isinstance(value, str) and value:
                return value
    text = " ".join(reply.text.split())
    return text[:200] if text else "no explanation given"


def _connection_reason(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "cannot connect: connection refused"
        if isinstance(exc.os_error, socket.gaierror):
            return "cannot connect: host name not found"
        return f"cannot connect: {exc.os_error.strerror or type(exc.os_error).__name__}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without answering"
    return f"connection failed ({type(exc).__name__})"
