"""The Bolt app: request counting and every area's listeners, each wrapped the one way.

It runs what the inbox stored (``handlers/inbox.py``): the door verified each request
before it was stored, so Bolt checks no signature, and it waits for each listener to end
(``process_before_response``), so the inbox knows when a request is done."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.service import IncidentService
from bot.metrics import BotMetrics
from bot.oncall.handoffs import HandoffService
from bot.oncall.service import OncallService
from bot.runbooks.recovery import Recoveries
from bot.runbooks.service import RunbookService
from bot.serving.client import ServingClient
from bot.slo.service import SloService
from handlers.errors import handle_error
from handlers.incident_modals import register_incident_modals
from handlers.incidents import register_incident_handlers
from handlers.listeners import Forms, Listeners
from handlers.oncall import register_oncall_handlers
from handlers.runbooks import register_runbook_handlers
from handlers.slo import register_slo_handlers


class _SameToken(logging.Filter):
    """Bolt warns that the client's token "will be ignored" when ``authorize`` is given: it
    is the same token (``authorize`` hands it back), so the line only alarms whoever reads."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "will be ignored" not in record.getMessage()


logging.getLogger(f"slack_bolt.{AsyncApp.__name__}").addFilter(_SameToken())


def _kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    return str(body.get("type") or "unknown")


@dataclass(frozen=True)
class SlackApp:
    """The Bolt app the inbox runs requests on, and the forms its door checks first."""

    bolt: AsyncApp
    forms: Forms


def create_slack_app(
    *,
    client: AsyncWebClient,
    incidents: IncidentService,
    metrics: BotMetrics,
    oncall: OncallService,
    handoffs: HandoffService,
    slo: SloService,
    runbooks: RunbookService,
    recoveries: Recoveries,
    serving: ServingClient,
    zone: tzinfo = UTC,
) -> SlackApp:
    """The Bolt app with every listener; ``zone`` is the team's (sre.yaml's ``timezone``)."""

    async def authorize(**_: Any) -> AuthorizeResult:
        # One workspace, one token. Bolt would otherwise ask Slack who we are (auth.test)
        # before the first request, and refuse every command while Slack is down.
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_token=client.token)

    app = AsyncApp(
        client=client,
        authorize=authorize,
        request_verification_enabled=False,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def count_requests(
        body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        metrics.slack_requests.labels(kind=_kind(body)).inc()
        return await next()

    # Every listener answers its own errors (handlers/listeners.py); this is the last resort.
    app.error(handle_error)
    listeners = Listeners(app)
    register_incident_handlers(listeners, incidents=incidents, zone=zone)
    register_incident_modals(listeners, incidents=incidents)
    register_oncall_handlers(listeners, oncall=oncall, handoffs=handoffs)
    register_slo_handlers(listeners, slo=slo)
    register_runbook_handlers(listeners, runbooks=runbooks, recoveries=recoveries, serving=serving)
    return SlackApp(bolt=app, forms=listeners.forms)


__all__ = ["AsyncBoltRequest", "SlackApp", "create_slack_app"]
