"""A runnable stand-in of the Artisan model-serving process.

Same routes and JSON as the real server (docs/operations.md#the-serving-process), a
Prometheus ``/metrics``, traffic simulated from a seeded RNG, and faults injected over
HTTP, for the local demo and the end-to-end tests. Control routes live under ``/_standin/``.

Choices: creative is served by qwen, balanced by mistral, fast by llama. A
request's latency is drawn for, and recorded under, the mode that *served* it
(a creative request downshifted to balanced is a balanced brief). Only briefs
actually produced are observed in the histogram; failures count in
``api_requests_total`` alone (500: the model failed, 503: its breaker is open).
Only simulated brief requests count there: health, admin and metrics calls
to the stand-in itself are product plumbing, not user traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import random
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.clock import Clock, SystemClock
from bot.serving.models import (
    MODELS,
    BreakerChange,
    BreakerState,
    Checkpoint,
    Mode,
    ModelStatus,
    ReplicasChange,
    RollbackRequest,
    RoutingChange,
)

MODE_MODEL = {Mode.CREATIVE: "qwen", Mode.BALANCED: "mistral", Mode.FAST: "llama"}
LATENCY_BUCKETS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.2, 4.0, 4.5, 6.0, 10.0)
# Log-normal latency per serving mode: medians well inside the guide's p95 targets.
_MEDIAN_SECONDS = {Mode.FAST: 0.9, Mode.BALANCED: 1.5, Mode.CREATIVE: 2.2}
_SIGMA = 0.25
_MEMORY_MB = {"qwen": (15234.5, 8192.0), "mistral": (14876.0, 7680.0), "llama": (15568.0, 8192.0)}
_ANY_ROUTE = "*"
_CONTROL = "/_standin/"
DEFAULT_RATE = 20.0
"""Simulated brief requests per second of ``python -m sandbox.serving`` unless ``--rate``."""
DEFAULT_SEED = 0
TRAFFIC_TICK = 0.1
"""Seconds between two rounds of background traffic."""

log = logging.getLogger(__name__)
JSONObject = dict[str, Any]
_Body = TypeVar("_Body", bound=BaseModel)


class FaultChange(BaseModel):
    """Body of ``POST /_standin/faults``; faults add up until ``DELETE /_standin/faults``."""

    model_config = ConfigDict(extra="forbid")

    model_down: str | list[str] | None = None
    model_degraded: str | list[str] | None = None
    reward_runaway: bool | None = None
    added_latency_seconds: float | None = Field(default=None, ge=0)
    mode: Mode | None = None  # for added_latency_seconds; none means every mode
    error_rate: float | None = Field(default=None, ge=0, le=1)
    hang_seconds: float | None = Field(default=None, ge=0)  # with route; none means any route
    fail_next: int | None = Field(default=None, ge=0)  # the next N answers on route are 503
    # the next N requests on route are carried out, then answered 500 (applied, said failed)
    fail_after_apply: int | None = Field(default=None, ge=0)
    route: str | None = None


class TrafficRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: int = Field(ge=1, le=100_000)
    mode: Mode | None = None  # none: modes in turn, fast, balanced, creative


class _Refusal(Exception):
    """A request the stand-in refuses; rendered as ``{"detail": ...}`` with ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class StandinState:
    """Everything the stand-in knows: serving state, faults, metrics and the request log."""

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        clock: Clock | None = None,
        replicas: int = 2,
        max_replicas: int = 20,
        traffic_per_second: float = 0.0,
        log_limit: int = 10_000,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.rng = random.Random(seed)
        self._checkpoint_rng = random.Random(seed + 1)  # apart, so traffic stays reproducible
        self.started = time.monotonic()
        self.traffic_per_second = traffic_per_second
        self._traffic_owed = 0.0  # the fraction of a request carried to the next round
        # One turn order for the stand-in's whole life: a tick of 2 requests at the default
        # rate must not restart it at fast, or creative would never get a request.
        self._turns = itertools.cycle(Mode)
        self.routing: dict[str, str] = {mode.value: mode.value for mode in Mode}
        self.breakers: dict[str, str] = dict.fromkeys(MODELS, BreakerState.CLOSED.value)
        self.replicas, self.max_replicas = replicas, max_replicas
        self.last_inference_ms = {"qwen": 1847.32, "mistral": 1203.57, "llama": 684.91}
        self.requests: deque[JSONObject] = deque(maxlen=log_limit)
        self.release = asyncio.Event()  # set to wake every hung request at once
        self.checkpoints = self._seed_checkpoints()
        self.current = self.checkpoints[-1].id
        self._runaway_id: str | None = None
        self.clear_faults()
        self.registry = CollectorRegistry()
        self._declare_metrics()

    # -- faults ----------------------------------------------------------------------------

    def clear_faults(self) -> None:
        """Back to no faults: also drops a runaway checkpoint and wakes hung requests."""
        self.down: set[str] = set()
        self.degraded: set[str] = set()
        self.added_latency: dict[Mode, float] = {}
        self.error_rate = 0.0
        self.hang: dict[str, float] = {}
        self.fail_next: dict[str, int] = {}
        self.fail_after_apply: dict[str, int] = {}
        self._set_reward_runaway(False)
        self.release.set()
        self.release = asyncio.Event()

    def apply(self, change: FaultChange) -> None:
        for names, target in (
            (change.model_down, self.down),
            (change.model_degraded, self.degraded),
        ):
            for name in [names] if isinstance(names, str) else names or []:
                if name not in MODELS:
                    raise _Refusal(400, f"unknown model {name!r} (known: {', '.join(MODELS)})")
                target.add(name)
        if change.added_latency_seconds is not None:
            for mode in [change.mode] if change.mode else list(Mode):
                self.added_latency[mode] = change.added_latency_seconds
        if change.error_rate is not None:
            self.error_rate = change.error_rate
        route = change.route or _ANY_ROUTE
        if change.hang_seconds is not None:
            self.hang[route] = change.hang_seconds
        if change.fail_next is not None:
            self.fail_next[route] = change.fail_next
        if change.fail_after_apply is not None:
            self.fail_after_apply[route] = change.fail_after_apply
        if change.reward_runaway is not None:
            self._set_reward_runaway(change.reward_runaway)

    def faults_json(self) -> JSONObject:
        return {
            "model_down": sorted(self.down),
            "model_degraded": sorted(self.degraded),
            "reward_runaway": self._runaway_id is not None,
            "added_latency_seconds": {m.value: s for m, s in self.added_latency.items()},
            "error_rate": self.error_rate,
            "hang_seconds": dict(self.hang),
            "fail_next": {r: n for r, n in self.fail_next.items() if n},
            "fail_after_apply": {r: n for r, n in self.fail_after_apply.items() if n},
        }

    def _set_reward_runaway(self, on: bool) -> None:
        """On: training wrote a runaway checkpoint and it went live. Off: it never happened."""
        if on and self._runaway_id is None:
            newest = int(self.checkpoints[-1].id.removeprefix("ppo-"))
            checkpoint = Checkpoint(
                id=f"ppo-{newest + 20:06d}",
                created_at=self.clock.now(),
                reward_mean=round(self._checkpoint_rng.uniform(150, 300), 2),
                reward_std=round(self._checkpoint_rng.uniform(60, 120), 2),
                kl_divergence=round(self._checkpoint_rng.uniform(0.3, 0.6), 4),
            )
            self.checkpoints.append(checkpoint)
            self._runaway_id = self.current = checkpoint.id
        elif not on and self._runaway_id is not None:
            self.checkpoints = [c for c in self.checkpoints if c.id != self._runaway_id]
            if self.current == self._runaway_id:
                self.current = self.checkpoints[-1].id
            self._runaway_id = None

    def _seed_checkpoints(self) -> list[Checkpoint]:
        now = self.clock.now()
        return [
            Checkpoint(
                id=f"ppo-{step:06d}",
                created_at=now - timedelta(hours=6 * age + 1),
                reward_mean=round(self._checkpoint_rng.uniform(20, 40), 2),
                reward_std=round(self._checkpoint_rng.uniform(3, 9), 2),
                kl_divergence=round(self._checkpoint_rng.uniform(0.005, 0.02), 4),
            )
            for age, step in zip((3, 2, 1, 0), (100, 120, 140, 160), strict=True)
        ]

    # -- health ----------------------------------------------------------------------------

    def model_status(self, model: str) -> ModelStatus:
        if model in self.down:
            return ModelStatus.UNHEALTHY
        return ModelStatus.DEGRADED if model in self.degraded else ModelStatus.HEALTHY

    def model_health(self, model: str) -> JSONObject:
        """One model's health, with exactly the keys of docs/guide.md#model-health-json."""
        status = self.model_status(model)
        memory, gpu = _MEMORY_MB[model] if status is not ModelStatus.UNHEALTHY else (0.0, 0.0)
        errors = {
            ModelStatus.HEALTHY: None,
            ModelStatus.DEGRADED: "inference slower than usual",
            ModelStatus.UNHEALTHY: "model not responding: inference timed out",
        }
        return {
            "model_name": model,
            "status": status.value,
            "loaded": status is not ModelStatus.UNHEALTHY,
            "inference_ready": status is not ModelStatus.UNHEALTHY,
            "last_inference_ms": round(self.last_inference_ms[model], 2),
            "memory_mb": memory,
            "gpu_memory_mb": gpu,
            "error_message": errors[status],
            "checked_at": _iso_millis(self.clock.now()),
            "uptime_seconds": round(time.monotonic() - self.started, 1),
        }

    def all_models_health(self) -> JSONObject:
        statuses = {model: self.model_status(model) for model in MODELS}
        counts = {s: sum(1 for v in statuses.values() if v is s) for s in ModelStatus}
        if counts[ModelStatus.HEALTHY] == len(MODELS):
            overall = ModelStatus.HEALTHY
        elif counts[ModelStatus.UNHEALTHY] == len(MODELS):
            overall = ModelStatus.UNHEALTHY
        else:
            overall = ModelStatus.DEGRADED
        return {
            "status": overall.value,
            "healthy_count": counts[ModelStatus.HEALTHY],
            "degraded_count": counts[ModelStatus.DEGRADED],
            "unhealthy_count": counts[ModelStatus.UNHEALTHY],
            "total_models": len(MODELS),
            "models": {model: status.value for model, status in statuses.items()},
            "memory_mb": sum(self.model_health(m)["memory_mb"] for m in MODELS),
            "gpu_available": True,
        }

    # -- traffic and metrics ---------------------------------------------------------------

    def _declare_metrics(self) -> None:
        r = self.registry
        self.api_requests = Counter(
            "api_requests", "Brief requests by HTTP status", ["status"], registry=r
        )
        self.latency = Histogram(
            "llm_brief_latency_seconds",
            "Brief latency by serving mode",
            ["mode"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.reward = Gauge("rl_reward", "Reward mean of the current PPO checkpoint", registry=r)
        self.reward_std = Gauge("rl_reward_std", "Reward std of the current checkpoint", registry=r)
        self.health_gauges = {
            model: Gauge(
                f"health_llm_{model}_status",
                f"1 for {model}'s current status",
                ["status"],
                registry=r,
            )
            for model in MODELS
        }
        for mode in Mode:
            self.latency.labels(mode=mode.value)  # every series exists from the first scrape
        self.api_requests.labels(status="200")

    def refresh_gauges(self) -> None:
        current = next(c for c in self.checkpoints if c.id == self.current)
        self.reward.set(current.reward_mean)
        self.reward_std.set(current.reward_std)
        for model, gauge in self.health_gauges.items():
            now = self.model_status(model)
            for status in ModelStatus:
                gauge.labels(status=status.value).set(1 if status is now else 0)

    def serve_one(self, requested: Mode) -> str:
        """Simulate one brief request; returns its HTTP status as the counter labels it."""
        # Draw both numbers every time, so faults never shift the sequence that follows.
        error_roll = self.rng.random()
        served = Mode(self.routing[requested.value])
        seconds = self.rng.lognormvariate(math.log(_MEDIAN_SECONDS[served]), _SIGMA)
        model = MODE_MODEL[served]
        if self.breakers[model] == BreakerState.OPEN:
            status = "503"
        elif model in self.down or error_roll < self.error_rate:
            status = "500"
        else:
            seconds += self.added_latency.get(served, 0.0)
            seconds *= 1.5 if model in self.degraded else 1.0
            self.latency.labels(mode=served.value).observe(seconds)
            self.last_inference_ms[model] = seconds * 1000
            status = "200"
        self.api_requests.labels(status=status).inc()
        return status

    def generate(self, count: int, mode: Mode | None = None) -> dict[str, int]:
        """``count`` requests of ``mode``, or of each mode in turn, carrying on where the
        previous call left off."""
        modes = itertools.repeat(mode) if mode else self._turns
        statuses: dict[str, int] = {}
        for requested in itertools.islice(modes, count):
            status = self.serve_one(requested)
            statuses[status] = statuses.get(status, 0) + 1
        return statuses

    def traffic_for(self, seconds: float) -> dict[str, int]:
        """The requests ``seconds`` of background traffic bring; a test drives simulated time
        through this, the running stand-in calls it every ``TRAFFIC_TICK``."""
        self._traffic_owed += self.traffic_per_second * seconds
        whole = int(self._traffic_owed)
        self._traffic_owed -= whole
        return self.generate(whole)

    async def run_traffic(self, tick: float = TRAFFIC_TICK) -> None:
        """Background traffic at ``traffic_per_second``, until cancelled."""
        while True:
            await asyncio.sleep(tick)
            self.traffic_for(tick)


STATE_KEY = web.AppKey("standin_state", StandinState)


# -- HTTP ------------------------------------------------------------------------------------


def create_standin_app(state: StandinState | None = None) -> web.Application:
    """The stand-in as an aiohttp application; pass a state to inspect or seed it in tests."""
    state = state or StandinState()
    app = web.Application(middlewares=[_request_log(state), _json_errors, _faults(state)])
    app[STATE_KEY] = state
    routes = _Routes(state)
    app.router.add_get("/health/live", routes.live)
    app.router.add_get("/health/ready", routes.ready)
    app.router.add_get("/health/llm", routes.model_health)
    app.router.add_get("/health/llm/all", routes.all_models_health)
    app.router.add_get("/admin/routing", routes.routing)
    app.router.add_post("/admin/routing", routes.set_routing)
    app.router.add_get("/admin/circuit-breaker", routes.breakers)
    app.router.add_post("/admin/circuit-breaker", routes.set_breaker)
    app.router.add_get("/admin/rl/checkpoints", routes.checkpoints)
    app.router.add_post("/admin/rl/rollback", routes.rollback)
    app.router.add_get("/admin/replicas", routes.replicas)
    app.router.add_post("/admin/replicas", routes.set_replicas)
    app.router.add_get("/metrics", routes.metrics)
    app.router.add_get("/_standin/faults", routes.faults)
    app.router.add_post("/_standin/faults", routes.add_faults)
    app.router.add_delete("/_standin/faults", routes.clear_faults)
    app.router.add_post("/_standin/traffic", routes.traffic)
    app.router.add_get("/_standin/requests", routes.request_log)
    app.router.add_delete("/_standin/requests", routes.clear_request_log)
    app.cleanup_ctx.append(_background_traffic)
    app.on_shutdown.append(_wake_hung_requests)
    return app


class _Routes:
    """Request handlers; each answers with the JSON shape the serving API gives its route."""

    def __init__(self, state: StandinState) -> None:
        self.state = state

    async def live(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def ready(self, request: web.Request) -> web.Response:
        ready = [m for m in MODELS if self.state.model_status(m) is not ModelStatus.UNHEALTHY]
        if not ready:
            body = {"status": "not_ready", "detail": "no model is inference-ready"}
            return web.json_response(body, status=503)
        return web.json_response({"status": "ready", "models_ready": len(ready)})

    async def model_health(self, request: web.Request) -> web.Response:
        model = request.query.get("model")
        if not model:
            raise _Refusal(400, f"query parameter 'model' is required ({', '.join(MODELS)})")
        return web.json_response(self.state.model_health(_known_model(model)))

    async def all_models_health(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.all_models_health())

    async def routing(self, request: web.Request) -> web.Response:
        return web.json_response({"routing": self.state.routing})

    async def set_routing(self, request: web.Request) -> web.Response:
        change = await _body(request, RoutingChange)
        self.state.routing[change.mode.value] = change.serve_with.value
        return await self.routing(request)

    async def breakers(self, request: web.Request) -> web.Response:
        return web.json_response({"breakers": self.state.breakers})

    async def set_breaker(self, request: web.Request) -> web.Response:
        change = await _body(request, BreakerChange)
        self.state.breakers[_known_model(change.model)] = change.state.value
        return await self.breakers(request)

    async def checkpoints(self, request: web.Request) -> web.Response:
        listed = [c.model_dump(mode="json") for c in self.state.checkpoints]
        return web.json_response({"current": self.state.current, "checkpoints": listed})

    async def rollback(self, request: web.Request) -> web.Response:
        wanted = (await _body(request, RollbackRequest)).checkpoint
        if wanted not in {c.id for c in self.state.checkpoints}:
            raise _Refusal(404, f"unknown checkpoint {wanted!r}")
        self.state.current = wanted
        return await self.checkpoints(request)

    async def replicas(self, request: web.Request) -> web.Response:
        return web.json_response({"replicas": self.state.replicas})

    async def set_replicas(self, request: web.Request) -> web.Response:
        wanted = (await _body(request, ReplicasChange)).replicas
        if not 1 <= wanted <= self.state.max_replicas:
            raise _Refusal(400, f"replicas must be 1..{self.state.max_replicas}, got {wanted}")
        self.state.replicas = wanted
        return await self.replicas(request)

    async def metrics(self, request: web.Request) -> web.Response:
        self.state.refresh_gauges()
        body = generate_latest(self.state.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def faults(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.faults_json())

    async def add_faults(self, request: web.Request) -> web.Response:
        self.state.apply(await _body(request, FaultChange))
        return await self.faults(request)

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.state.clear_faults()
        return await self.faults(request)

    async def traffic(self, request: web.Request) -> web.Response:
        order = await _body(request, TrafficRequest)
        statuses = self.state.generate(order.requests, order.mode)
        return web.json_response({"generated": order.requests, "statuses": statuses})

    async def request_log(self, request: web.Request) -> web.Response:
        """The log, optionally filtered: ``?method=POST&prefix=/admin``."""
        method = request.query.get("method", "").upper()
        prefix = request.query.get("prefix", "")
        entries = [
            e
            for e in self.state.requests
            if (not method or e["method"] == method) and e["path"].startswith(prefix)
        ]
        return web.json_response({"requests": entries})

    async def clear_request_log(self, request: web.Request) -> web.Response:
        self.state.requests.clear()
        return web.json_response({"requests": []})


def _request_log(state: StandinState) -> Middleware:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Log every serving-API request on arrival, so a request that hangs is seen too."""
        if request.path.startswith(_CONTROL):
            return await handler(request)
        raw = await request.read()  # aiohttp caches the body; the handler can read it again
        entry: JSONObject = {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "json": _json_or_none(raw),
            "at": _iso_millis(state.clock.now()),
            "status": None,
        }
        state.requests.append(entry)
        response = await handler(request)
        entry["status"] = response.status
        return response

    return record


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals and aiohttp's own 4xx answers become ``{"detail": ...}`` JSON."""
    try:
        return await handler(request)
    except _Refusal as refusal:
        return web.json_response({"detail": refusal.detail}, status=refusal.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = f"{exc.reason}: {request.method} {request.path}"
        return web.json_response({"detail": detail}, status=exc.status)


def _faults(state: StandinState) -> Middleware:
    @web.middleware
    async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Injected 503s, hangs and 500s after the work; ``*`` covers the serving API, not
        /metrics or controls."""
        path = request.path
        if path.startswith(_CONTROL):
            return await handler(request)
        keys = (path, _ANY_ROUTE) if path != "/metrics" else (path,)
        for key in keys:
            if state.fail_next.get(key, 0) > 0:
                state.fail_next[key] -= 1
                body = {"detail": "injected fault: temporarily unavailable"}
                return web.json_response(body, status=503)
        hang = next((state.hang[k] for k in keys if k in state.hang), 0.0)
        if hang > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(state.release.wait(), hang)
        answer = await handler(request)
        for key in keys:
            if state.fail_after_apply.get(key, 0) > 0:
                state.fail_after_apply[key] -= 1
                body = {"detail": "injected fault: internal error after the change was made"}
                return web.json_response(body, status=500)
        return answer

    return inject


async def _body(request: web.Request, model: type[_Body]) -> _Body:
    """Parse a JSON object body into ``model``; anything else is a 400 that says why."""
    raw = await request.read()
    if not raw.strip():
        raise _Refusal(400, "request body is empty; send a JSON object")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _Refusal(400, f"request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _Refusal(400, "request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise _Refusal(400, f"invalid request body: {problems}") from exc


def _known_model(model: str) -> str:
    if model not in MODELS:
        raise _Refusal(404, f"unknown model {model!r} (known: {', '.join(MODELS)})")
    return model


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def _iso_millis(instant: datetime) -> str:
    """``2025-10-14T10:30:00.123Z``, the guide's ``checked_at`` form."""
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


async def _background_traffic(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE_KEY]
    task = asyncio.create_task(state.run_traffic()) if state.traffic_per_second > 0 else None
    yield
    if task is not None:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _wake_hung_requests(app: web.Application) -> None:
    # Before aiohttp waits for in-flight handlers, so shutdown never waits out a hang fault.
    app[STATE_KEY].release.set()


def main(argv: list[str] | None = None) -> int:
    """``python -m sandbox.serving``: run the stand-in until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.serving",
        description="Stand-in of the Artisan model-serving process.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--traffic",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="simulate brief requests in the background (default: on)",
    )
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="simulated requests per second"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="seed of latencies and checkpoints"
    )
    parser.add_argument("--max-replicas", type=int, default=20)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    state = StandinState(
        seed=args.seed,
        max_replicas=args.max_replicas,
        traffic_per_second=args.rate if args.traffic else 0.0,
    )
    log.info(
        "serving stand-in on http://%s:%d (traffic %s)",
        args.host,
        args.port,
        f"{args.rate:g}/s" if args.traffic else "off",
    )
    web.run_app(
        create_standin_app(state), host=args.host, port=args.port, print=None, shutdown_timeout=2.0
    )
    return 0
