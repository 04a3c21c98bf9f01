"""The composition root: every long-lived object is built here, once, and passed down."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.intake import AlertIntake
from bot.clock import Clock, SystemClock
from bot.incidents.notifier import IncidentNotifier
from bot.incidents.service import IncidentService
from bot.metrics import BotMetrics
from bot.oncall.handoff_message import HandoffNotifier
from bot.oncall.handoffs import HandoffService
from bot.oncall.service import OncallService
from bot.runbooks import RunbookService, RunNotifier, load_definitions
from bot.serving.client import ServingClient
from bot.settings import Environment, SreConfig
from bot.slo.evaluation import SloEvaluator
from bot.slo.history import SloHistory
from bot.slo.service import SloService
from storage.db import Database

log = logging.getLogger(__name__)


def create_slack_client(env: Environment) -> AsyncWebClient:
    """The Web API client; honours 429 ``Retry-After`` and retries 5xx a few times."""
    client = AsyncWebClient(token=env.SLACK_BOT_TOKEN, base_url=env.SLACK_API_URL)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=5))
    client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=2))
    return client


@dataclass
class Container:
    env: Environment
    config: SreConfig
    db: Database
    clock: Clock
    metrics: BotMetrics
    incidents: IncidentService
    slo: SloService
    oncall: OncallService
    handoffs: HandoffService
    serving: ServingClient
    runbooks: RunbookService
    alerts: AlertIntake
    slo_history: SloHistory | None = None
    slack: AsyncWebClient | None = None
    extras: dict[str, object] = field(default_factory=dict)

    async def readiness_problems(self) -> list[str]:
        problems = []
        try:
            await self.db.ping()
        except Exception as exc:
            problems.append(f"database unreachable: {type(exc).__name__}")
        if self.env.REDIS_URL:
            client = Redis.from_url(self.env.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
            try:
                await client.ping()
            except Exception as exc:
                problems.append(f"Redis unreachable: {type(exc).__name__}")
            finally:
                await client.aclose()
        return problems

    async def close(self) -> None:
        await self.alerts.drain()
        self.slo.close()
        await self.serving.close()
        if self.slo_history is not None:
            self.slo_history.close()
        await self.db.dispose()


def build_container(
    env: Environment,
    config: SreConfig,
    *,
    clock: Clock | None = None,
    registry: CollectorRegistry | None = None,
    db: Database | None = None,
) -> Container:
    """Build the application's objects. Slack is wired in only when a token is configured."""
    clock = clock or SystemClock()
    metrics = BotMetrics(registry or CollectorRegistry())
    db = db or Database(env.DATABASE_URL)
    slack: AsyncWebClient | None = None
    notifier: IncidentNotifier | None = None
    handoff_notifier: HandoffNotifier | None = None
    run_notifier: RunNotifier | None = None
    if env.slack_configured:
        from handlers.notifier import SlackIncidentNotifier
        from handlers.oncall_notifier import SlackOncallNotifier

        slack = create_slack_client(env)
        notifier = SlackIncidentNotifier(client=slack, config=config)
        handoff_notifier = SlackOncallNotifier(client=slack, config=config)
    incidents = IncidentService(
        db=db,
        clock=clock,
        notifier=notifier,
        observers=[metrics],
        post_timeout=config.schedule.post_timeout,
    )
    evaluator = SloEvaluator(prometheus_url=env.PROMETHEUS_URL) if env.PROMETHEUS_URL else None
    slo = SloService(slos=config.slos, evaluator=evaluator, clock=clock)
    oncall = OncallService(db=db, config=config, clock=clock)
    handoffs = HandoffService(
        db=db,
        config=config,
        clock=clock,
        oncall=oncall,
        incidents=incidents,
        slo=slo,
        notifier=handoff_notifier,
    )
    if slack is not None:
        from handlers.runbook_notifier import SlackRunNotifier

        run_notifier = SlackRunNotifier(
            client=slack, config=config, incidents=incidents, oncall=oncall
        )
    serving = ServingClient(base_url=env.SERVING_URL)
    runbooks = RunbookService(
        db=db,
        clock=clock,
        serving=serving,
        definitions=load_definitions(config.runbooks.definitions),
        incidents=incidents,
        approvers=config.runbooks.approvers,
        notifier=run_notifier,
    )
    return Container(
        env=env,
        config=config,
        db=db,
        clock=clock,
        metrics=metrics,
        incidents=incidents,
        slo=slo,
        oncall=oncall,
        handoffs=handoffs,
        serving=serving,
        runbooks=runbooks,
        alerts=AlertIntake(db=db, incidents=incidents, runbooks=runbooks),
        slo_history=SloHistory(prometheus_url=env.PROMETHEUS_URL) if env.PROMETHEUS_URL else None,
        slack=slack,
    )
