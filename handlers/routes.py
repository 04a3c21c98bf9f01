"""The HTTP routes of ``serve``: Slack, Alertmanager, health and metrics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.alerts.intake import AlertIntake
from bot.incidents.service import IncidentService
from bot.metrics import BotMetrics
from handlers.alertmanager import receive_alerts
from handlers.slack_door import SlackDoor

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_web_app(
    *,
    door: SlackDoor | None,
    metrics: BotMetrics,
    incidents: IncidentService,
    alerts: AlertIntake,
    alertmanager_token: str | None,
    alertmanager_open: bool,
    readiness: Callable[[], Awaitable[list[str]]],
) -> web.Application:
    """``serve``'s routes. ``door`` checks and stores every Slack request before its ack
    (``handlers/slack_door.py``); None answers Slack's route with 404 (Socket Mode)."""

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = (
            request.match_info.route.resource.canonical
            if request.match_info.route.resource
            else "unmatched"
        )
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            metrics.http_requests.labels(route=route, status=str(exc.status)).inc()
            raise
        metrics.http_requests.labels(route=route, status=str(response.status)).inc()
        return response

    async def slack_events(request: web.Request) -> web.StreamResponse:
        if door is None:
            return web.json_response(
                {"error": "Slack is not served on this route (Socket Mode, or no Slack)"},
                status=404,
            )
        return await door.admit(request)

    async def alertmanager(request: web.Request) -> web.StreamResponse:
        return await receive_alerts(
            request,
            intake=alerts,
            token=alertmanager_token,
            open_without_token=alertmanager_open,
        )

    async def live(request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "alive"})

    async def ready(request: web.Request) -> web.StreamResponse:
        problems = await readiness()
        if problems:
            return web.json_response({"status": "not ready", "problems": problems}, status=503)
        return web.json_response({"status": "ready"})

    async def metrics_route(request: web.Request) -> web.StreamResponse:
        try:
            metrics.set_incident_counts(await incidents.count_by_status())
        except Exception:
            log.warning("incident counts unavailable for /metrics", exc_info=True)
        body = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application(middlewares=[count], client_max_size=1024**2)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_post("/alertmanager", alertmanager)
    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", ready)
    app.router.add_get("/metrics", metrics_route)
    return app
