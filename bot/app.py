"""The composition root: every client, service, Slack adapter and duty is built here, once.

``serve``, ``scheduler``, ``demo``, the CLI and the tests only start what ``build_container``
built. Slack is wired in only when a token is configured; without it nothing is sent, and
what the bot owes waits in the outbox for a process that can send it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.intake import AlertIntake, SeverityMap, SloFacts
from bot.alerts.work import POLL as ALERTS_POLL
from bot.alerts.work import AlertWork
from bot.clock import Clock, RunningClock, SystemClock
from bot.core import build_core
from bot.errors import ConfigurationError
from bot.i18n import words_for
from bot.inbox.job import LANES as INBOX_LANES
from bot.inbox.job import POLL as INBOX_POLL
from bot.inbox.job import InboxJob
from bot.inbox.model import InboxItem
from bot.inbox.service import Inbox
from bot.incidents.chase import Chaser
from bot.incidents.service import IncidentService
from bot.metrics import BotMetrics
from bot.oncall.handoffs import HandoffService
from bot.oncall.service import OncallService
from bot.outbox import Deliverer, PostKind
from bot.people import FirstKnown, PeopleDirectory
from bot.runbooks import load_definitions
from bot.runbooks.job import LANES as RUN_LANES
from bot.runbooks.posts import RunPosts
from bot.runbooks.probes import Drills, QwenWatch
from bot.runbooks.recovery import Recoveries
from bot.runbooks.service import RunbookService
from bot.serving.client import ServingClient
from bot.settings import Environment, SreConfig
from bot.slo.definitions import runbook_inputs
from bot.slo.duties import SloDuties
from bot.slo.evaluation import SloEvaluator
from bot.slo.history import SloHistory
from bot.slo.service import SloService
from bot.work.worker import Wakeup, Worker
from handlers.inbox import BoltRunner
from handlers.oncall_notifier import SlackOncallNotifier
from handlers.outbox import SlackSender
from handlers.people import SlackDirectory
from handlers.posts import Renderers
from handlers.posts.incidents import IncidentPosts
from handlers.posts.oncall import OncallPosts
from handlers.posts.runbooks import RunbookPosts
from handlers.posts.slack import SlackPoster
from handlers.posts.slo import SloPosts
from handlers.routes import create_web_app
from handlers.slack_app import SlackApp, create_slack_app
from handlers.slack_client import SlackWebClient
from handlers.slack_door import SlackDoor
from scheduler.duties import Duties, Duty, every
from scheduler.leader import DatabaseLeader
from scheduler.runner import SchedulerRunner
from storage.db import Database

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

# A Slack call that has not answered by then is treated as failed; the outbox looks the
# post up before trying again, so a slow answer never makes a second message.
SLACK_TIMEOUT = 10
# /health/ready asks the database and Redis at once and waits this long for each, so a load
# balancer hears 503 within a second when one does not answer.
READINESS_TIMEOUT = 0.8


def create_slack_client(env: Environment) -> SlackWebClient:
    """The Web API client, one HTTP session for all its calls. A 429 did nothing, so it is
    retried here after ``Retry-After``; a 5xx or a timeout may have done the work, so those
    are the outbox's to retry."""
    return SlackWebClient(
        token=env.SLACK_BOT_TOKEN,
        base_url=env.SLACK_API_URL,
        timeout=SLACK_TIMEOUT,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=5)],
    )


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
    alert_work: Worker
    runs: Worker
    duties: Duties
    # Display names for text that leaves Slack: sre.yaml's ``people:``, then Slack's.
    people: PeopleDirectory
    slo_history: SloHistory | None = None
    slack: AsyncWebClient | None = None
    outbox: Worker | None = None
    # With Slack: the listeners, and the inbox job that runs them on what the door stored.
    slack_app: SlackApp | None = None
    inbox_job: InboxJob | None = None
    inbox: Worker | None = None
    redis: Redis | None = None
    # Set by ``serve`` in Socket Mode: whether the connection to Slack is up.
    slack_connected: Callable[[], Awaitable[bool]] | None = None

    async def readiness_problems(self) -> list[str]:
        """What keeps this process from serving; each dependency is asked at once and given
        READINESS_TIMEOUT, so /health/ready answers within a second even when one hangs."""

        async def database() -> str | None:
            try:
                await self.db.ping(within=READINESS_TIMEOUT)
            except TimeoutError:
                return f"database unreachable: no answer within {READINESS_TIMEOUT:g}s"
            except Exception as exc:
                return f"database unreachable: {type(exc).__name__}"
            return None

        async def redis() -> str | None:
            if self.redis is None:
                return None
            try:
                await asyncio.wait_for(self.redis.ping(), READINESS_TIMEOUT)
            except TimeoutError:
                return f"Redis unreachable: no answer within {READINESS_TIMEOUT:g}s"
            except Exception as exc:
                return f"Redis unreachable: {type(exc).__name__}"
            return None

        async def slack() -> str | None:
            if self.slack_connected is None or await self.slack_connected():
                return None
            return "Slack not connected"

        checks = await asyncio.gather(database(), redis(), slack())
        return [problem for problem in checks if problem]

    def web_app(self, *, slack: bool = True, work_here: bool = True) -> web.Application:
        """``serve``'s routes. ``slack`` False answers Slack's route with 404 (Socket Mode);
        ``work_here`` False is a web-only door: what it stores is the worker processes'."""
        if not self.env.ALERTMANAGER_TOKEN and self.config.alertmanager.open_without_token:
            log.warning(
                "POST /alertmanager is open without a token (alertmanager.open_without_token): "
                "anyone who reaches this port can open incidents and start runbooks"
            )
        return create_web_app(
            door=(
                self.slack_door(signed=True, work_here=work_here)
                if slack and self.slack_app is not None
                else None
            ),
            metrics=self.metrics,
            incidents=self.incidents,
            alerts=self.alerts,
            alertmanager_token=self.env.ALERTMANAGER_TOKEN,
            alertmanager_open=self.config.alertmanager.open_without_token,
            readiness=self.readiness_problems,
        )

    def slack_door(self, *, signed: bool, work_here: bool = True) -> SlackDoor:
        """The door every Slack request comes through: HTTP (``signed``, with the signing
        secret) or Socket Mode's envelopes."""
        if self.slack_app is None:
            raise ConfigurationError("Slack is not configured (SLACK_BOT_TOKEN)")
        inbox = Inbox(db=self.db, clock=self.clock, run_here=self._run_here if work_here else None)
        return SlackDoor(
            signing_secret=self.env.SLACK_SIGNING_SECRET if signed else None,
            inbox=inbox,
            forms=self.slack_app.forms,
            # Slack signs with the wall clock; the demo's clock may run ahead of it.
            now=lambda: datetime.now(UTC),
        )

    def _run_here(self, item: InboxItem) -> None:
        """What this process's door stored, for its own inbox job, at once."""
        assert self.inbox_job is not None and self.inbox is not None  # with Slack, both are
        self.inbox_job.hand(item)
        self.inbox.kick()

    def start_workers(self) -> None:
        """Every background job of this process: the inbox and the outbox (with Slack),
        alert work and runbook runs (a first pass takes up what a dead process left)."""
        self.start_inbox()
        self.start_delivery()
        self.alert_work.start()
        self.runs.start()

    def start_inbox(self) -> None:
        """Run the Slack requests the doors stored (leases keep several processes apart)."""
        if self.inbox is not None:
            self.inbox.start()

    def start_delivery(self) -> None:
        """Deliver the outbox from this process (leases keep several processes apart)."""
        if self.outbox is not None:
            self.outbox.start()

    def scheduler_runner(self) -> SchedulerRunner:
        """The process competes for leadership by the database lease (one leads at a time)."""
        schedule = self.config.schedule
        leadership = DatabaseLeader(db=self.db, clock=self.clock, ttl=schedule.leader_ttl)
        return SchedulerRunner(
            duties=self.duties,
            leadership=leadership,
            clock=self.clock,
            tick=schedule.tick,
            leader_ttl=schedule.leader_ttl,
            ticked=self.metrics.tick_completed,
        )

    async def close(self) -> None:
        # Each stop is one cancel and a bounded wait; what a worker had leased stays owed.
        if self.inbox is not None:
            await self.inbox.stop()
        if self.outbox is not None:
            await self.outbox.stop()
        await self.alert_work.stop()
        await self.runs.stop()
        self.slo.close()
        await self.serving.close()
        if self.slo_history is not None:
            self.slo_history.close()
        if self.redis is not None:
            await self.redis.aclose()
        if isinstance(self.slack, SlackWebClient):
            await self.slack.close()
        await self.db.dispose()


def process_clock(start: datetime | None, *, anchor: datetime | None = None) -> Clock:
    """The clock of ``serve`` and ``scheduler``: the machine's, or with ``--clock-start`` one
    that read ``start`` at the wall instant ``anchor`` (default: now) and runs at real speed."""
    if start is None:
        return SystemClock()
    clock = RunningClock(start, anchor=anchor)
    # Logged at every start: a bot on a moved clock posts handoffs and drills at moved times.
    log.warning("the bot's clock is moved (--clock-start): it reads %s", clock.now().isoformat())
    return clock


def _redis(url: str) -> Redis:
    """Redis, imported only by a process configured to use it (a tenth of a second to load,
    paid by every other ``serve`` and test process otherwise)."""
    from redis.asyncio import Redis

    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def build_container(
    env: Environment,
    config: SreConfig,
    *,
    clock: Clock | None = None,
    registry: CollectorRegistry | None = None,
    db: Database | None = None,
    calendar_from: datetime | None = None,
    slo_data_clock: Clock | None = None,
) -> Container:
    """Build the application's objects, each once.

    ``calendar_from``: the calendar's duties (the runbook drill, the SLO digest, the
    handoff) owe nothing for a fire time at or before it. The demo passes its start, so a
    visitor sees what falls due while watching, not this morning's digest or drill.
    ``slo_data_clock``: where Prometheus's samples are, if not at ``clock`` (``SloService``).
    """
    metrics = BotMetrics(registry or CollectorRegistry(), shared_dir=env.PROMETHEUS_MULTIPROC_DIR)
    slack = create_slack_client(env) if env.slack_configured else None
    kick = Wakeup()
    runs_owed = Wakeup()
    core = build_core(env, config, clock=clock, db=db, observers=[metrics], owed=kick)
    clock, db, incidents = core.clock, core.db, core.incidents
    people = FirstKnown(core.people, SlackDirectory(slack)) if slack else core.people
    evaluator = SloEvaluator(prometheus_url=env.PROMETHEUS_URL) if env.PROMETHEUS_URL else None
    slo = SloService(slos=config.slos, evaluator=evaluator, clock=clock, data_clock=slo_data_clock)
    slo_history = SloHistory(prometheus_url=env.PROMETHEUS_URL) if env.PROMETHEUS_URL else None
    oncall = OncallService(db=db, config=config, clock=clock, incidents=incidents, owed=kick)
    handoffs = HandoffService(
        db=db,
        config=config,
        clock=clock,
        oncall=oncall,
        incidents=incidents,
        slo=slo,
        notifier=SlackOncallNotifier(client=slack) if slack else None,
        not_before=calendar_from,
        owed=kick,
    )
    serving = ServingClient(base_url=env.SERVING_URL, timeout=env.SERVING_TIMEOUT)
    runbooks = RunbookService(
        db=db,
        clock=clock,
        serving=serving,
        definitions=load_definitions(config.runbooks.definitions),
        incidents=incidents,
        approvers=config.runbooks.approvers,
        notifier=RunPosts(db=db, clock=clock, channel=config.channels.oncall, owed=kick),
        owed=runs_owed,
    )
    runs = Worker(runbooks.job, lanes=RUN_LANES, dependency="the runbook runs' database")
    runs_owed.attach(runs.kick)
    slo_duties = SloDuties(
        slo=slo,
        db=db,
        channel=config.channels.slo_digest,
        zone=config.zone,
        digest_cron=config.schedule.slo_digest,
        history=slo_history,
        not_before=calendar_from,
        owed=kick,
    )
    alert_job = AlertWork(
        db=db,
        clock=clock,
        incidents=incidents,
        runbooks=runbooks,
        lease=config.schedule.post_timeout,
    )
    alert_work = Worker(alert_job, poll=ALERTS_POLL, dependency="the alert intake's database")
    alerts = AlertIntake(
        db=db,
        clock=clock,
        severities=SeverityMap(
            config.alertmanager.severities, otherwise=config.alertmanager.otherwise
        ),
        runbook_names=frozenset(d.name for d in runbooks.list_definitions()),
        slos={
            s.name: SloFacts(
                components=s.components or (s.title,), runbook_inputs=runbook_inputs(s)
            )
            for s in config.slos
        },
        owed=alert_work.kick,
    )
    outbox: Worker | None = None
    slack_app: SlackApp | None = None
    inbox_job: InboxJob | None = None
    inbox: Worker | None = None
    if slack is not None:
        poster = SlackPoster(client=slack, clock=clock)
        recoveries = Recoveries(db=db, clock=clock, runbooks=runbooks, owed=kick)
        renderers = Renderers(
            incidents=IncidentPosts(
                slack=poster,
                config=config,
                incidents=incidents,
                oncall=oncall,
                alerts=alert_job,
                recoveries=recoveries,
                words=words_for(config.locale),
            ),
            oncall=OncallPosts(slack=poster, config=config, handoffs=handoffs),
            slo=SloPosts(slack=poster, slo=slo_duties, zone=config.zone),
            runbooks=RunbookPosts(slack=poster, config=config, runbooks=runbooks, oncall=oncall),
        )
        sender = SlackSender(client=slack, renderers=renderers)
        deliverer = Deliverer(
            db=db,
            clock=clock,
            sender=sender,
            # Longer than a Slack call may take, so a slow send is never leased twice.
            lease=max(config.schedule.post_timeout, timedelta(seconds=SLACK_TIMEOUT + 5)),
            on_sent={
                PostKind.INCIDENT_CARD: incidents.card_posted,
                PostKind.RUN_MESSAGE: RunPosts.message_posted,
            },
            on_refused=metrics.post_refused,
        )
        outbox = Worker(
            deliverer, passed=metrics.outbox_pass_done, dependency="the outbox's database"
        )
        kick.attach(outbox.kick)
        slack_app = create_slack_app(
            client=slack,
            incidents=incidents,
            metrics=metrics,
            oncall=oncall,
            handoffs=handoffs,
            slo=slo,
            runbooks=runbooks,
            recoveries=recoveries,
            serving=serving,
            zone=config.zone,
        )
        inbox_job = InboxJob(db=db, clock=clock, run=BoltRunner(slack_app.bolt))
        inbox = Worker(
            inbox_job, poll=INBOX_POLL, lanes=INBOX_LANES, dependency="the inbox's database"
        )
    redis = _redis(env.REDIS_URL) if env.REDIS_URL else None
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
        alerts=alerts,
        alert_work=alert_work,
        runs=runs,
        duties=_duties(
            config=config,
            slack=slack is not None,
            db=db,
            incidents=incidents,
            oncall=oncall,
            handoffs=handoffs,
            runbooks=runbooks,
            serving=serving,
            slo_duties=slo_duties,
            kick=kick,
            calendar_from=calendar_from,
        ),
        people=people,
        slo_history=slo_history,
        slack=slack,
        outbox=outbox,
        slack_app=slack_app,
        inbox_job=inbox_job,
        inbox=inbox,
        redis=redis,
    )


def _duties(
    *,
    config: SreConfig,
    slack: bool,
    db: Database,
    incidents: IncidentService,
    oncall: OncallService,
    handoffs: HandoffService,
    runbooks: RunbookService,
    serving: ServingClient,
    slo_duties: SloDuties,
    kick: Wakeup,
    calendar_from: datetime | None,
) -> Duties:
    """Every duty of a tick, in order: the scheduler says when, the domain says what.
    Without Slack nothing could reach anyone: no duties."""
    if not slack:
        return Duties([])
    schedule = config.schedule
    chaser = Chaser(db=db, config=config, incidents=incidents, oncall=oncall)
    watch = QwenWatch(
        db=db, config=config, serving=serving, runbooks=runbooks, owed=kick, incidents=incidents
    )
    drills = Drills(
        db=db,
        config=config,
        serving=serving,
        runbooks=runbooks,
        owed=kick,
        not_before=calendar_from,
    )

    # A duty sre.yaml turns off is left out, so the start-up log lists what will happen.
    probe, status = schedule.health_probe_every, schedule.slo_status_every
    planned: list[tuple[str, Duty | None]] = [
        ("expire runbook approvals", runbooks.expire_due),
        ("probe model health", every(probe, watch.probe, tick=schedule.tick) if probe else None),
        ("drill the runbooks", drills.drill_if_due if schedule.runbook_drill else None),
        ("chase unacknowledged incidents", chaser.run),
        ("post the handoff", handoffs.post_due),
        (
            "remind unconfirmed handoffs",
            handoffs.remind_unconfirmed if schedule.handoff_message else None,
        ),
        ("post the SLO digest", slo_duties.digest_if_due if schedule.slo_digest else None),
        (
            "announce SLO status changes",
            every(status, slo_duties.check_status_changes, tick=schedule.tick) if status else None,
        ),
    ]
    duties = [(name, duty) for name, duty in planned if duty is not None]
    return Duties(duties)
