"""The bot's own Prometheus metrics, on a registry handed in by the composition root."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from bot.incidents.model import Incident, IncidentStatus
from bot.outbox.model import Refusal


class BotMetrics:
    """``shared_dir``: prometheus_client's multiprocess directory when several web workers
    serve one port (``serve --workers``); a scrape then reads every worker's counts."""

    def __init__(self, registry: CollectorRegistry, *, shared_dir: str | None = None) -> None:
        self.registry = registry
        self._shared_dir = shared_dir
        self.slack_requests = Counter(
            "artisan_sre_slack_requests_total",
            "Slack requests received, by kind (command, block_actions, view_submission, event).",
            ["kind"],
            registry=registry,
        )
        self.http_requests = Counter(
            "artisan_sre_http_requests_total",
            "HTTP requests served, by route and status code.",
            ["route", "status"],
            registry=registry,
        )
        self.ack_latency = Histogram(
            "artisan_sre_incident_ack_latency_seconds",
            "Time from an incident's creation to its acknowledgement.",
            ["severity"],
            buckets=(60, 300, 600, 900, 1800, 3600, 7200, 14400, 28800),
            registry=registry,
        )
        self.outbox_passes = Counter(
            "artisan_sre_outbox_passes",
            "Outbox passes this process completed (every due post it could lease was tried).",
            registry=registry,
        )
        self.slack_refusals = Counter(
            "artisan_sre_slack_refusals_total",
            "Posts Slack refused in their channel for a reason a person can fix (the bot not "
            "in it, archived, gone), by reason; each retry of a refused post counts again.",
            ["reason"],
            registry=registry,
        )
        self.incidents = Gauge(
            "artisan_sre_incidents",
            "Incidents by state, as stored.",
            ["state"],
            registry=registry,
            # Set from the database at each scrape, by whichever worker answers it.
            multiprocess_mode="mostrecent",
        )
        self.scheduler_ticks = Counter(
            "artisan_sre_scheduler_ticks_total",
            "Scheduler ticks this process completed as leader (every duty ran once); flat on "
            "the leader means nothing time-driven (reminders, handoffs, probes) is happening.",
            registry=registry,
        )
        self.scheduler_last_tick = Gauge(
            "artisan_sre_scheduler_last_tick_timestamp_seconds",
            "The bot's clock at the start of the last completed tick (an alert: it stops).",
            registry=registry,
            multiprocess_mode="max",
        )

    def tick_completed(self, at: datetime) -> None:
        """A tick that ran every duty for ``at`` (the bot's clock) has finished."""
        self.scheduler_ticks.inc()
        self.scheduler_last_tick.set(at.timestamp())

    def incident_acknowledged(self, incident: Incident) -> None:
        if incident.acknowledged_at is not None:
            delay = (incident.acknowledged_at - incident.created_at).total_seconds()
            self.ack_latency.labels(severity=incident.severity.value).observe(delay)

    def outbox_pass_done(self) -> None:
        self.outbox_passes.inc()

    def post_refused(self, refusal: Refusal) -> None:
        self.slack_refusals.labels(reason=refusal.reason).inc()

    def set_incident_counts(self, counts: dict[str, int]) -> None:
        for status in IncidentStatus:
            self.incidents.labels(state=status.value).set(counts.get(status.value, 0))

    def exposition(self) -> bytes:
        """The text format of every metric, summed across workers when there are several."""
        if self._shared_dir is None:
            return generate_latest(self.registry)
        workers = CollectorRegistry()
        MultiProcessCollector(workers, path=self._shared_dir)  # type: ignore[no-untyped-call]
        return generate_latest(workers)
