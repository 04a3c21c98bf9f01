"""The bot's own Prometheus metrics, on a registry handed in by the composition root."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.incidents.model import Incident, IncidentStatus


class BotMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
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
        self.incidents = Gauge(
            "artisan_sre_incidents",
            "Incidents by state, as stored.",
            ["state"],
            registry=registry,
        )

    def incident_acknowledged(self, incident: Incident) -> None:
        if incident.acknowledged_at is not None:
            delay = (incident.acknowledged_at - incident.created_at).total_seconds()
            self.ack_latency.labels(severity=incident.severity.value).observe(delay)

    def set_incident_counts(self, counts: dict[str, int]) -> None:
        for status in IncidentStatus:
            self.incidents.labels(state=status.value).set(counts.get(status.value, 0))
