"""The handoff message, as data: who hands over to whom, what is open, what to check; and
the notifier that posts it. Composing and posting it on time is ``bot.oncall.handoffs``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.durations import humanize
from bot.incidents.model import Incident, IncidentStatus
from bot.oncall.hours import Pool
from bot.oncall.rotation import Coverage
from bot.oncall.service import FatigueReport
from bot.slo.service import SloSnapshot

# The tools and knowledge the team's guide asks an on-call to have, and its handoff practice
# (docs/guide.md#handoff).
CHECKLIST: tuple[str, ...] = (
    "Slack notifications on (phone too)",
    "VPN access works",
    "kubectl context and credentials checked",
    "AWS/GCP access checked",
    "Grafana dashboards and Prometheus open",
    "Know the SLOs and how much error budget is left",
    "Know where the runbooks are and how to run them",
    "Know the health check endpoints",
    "Know how to roll back a deployment",
    "Know the main alert thresholds (and whether they paged too much)",
    "Read the open incidents and their timelines",
    "Outgoing: note anything unusual; book the post-on-call retrospective",
)


@dataclass(frozen=True)
class PoolHandoff:
    pool: Pool
    outgoing: str
    incoming: str
    coverage: list[Coverage]


@dataclass(frozen=True)
class HandoffMessage:
    """Everything the handoff post shows; ``key`` is its post key."""

    key: str
    at: datetime
    pools: list[PoolHandoff]
    incoming_paged: str
    outgoing_paged: str
    open_incidents: list[Incident]
    slo: SloSnapshot | None
    next_handoffs: list[datetime]
    fatigue: FatigueReport | None
    checklist: tuple[str, ...] = CHECKLIST
    confirmed_by: str | None = None
    notes: list[str] = field(default_factory=list)

    def age_of(self, incident: Incident) -> str:
        """How long ``incident`` will have been open at the handoff (``new`` if not yet)."""
        return humanize(self.at - incident.created_at) if self.at > incident.created_at else "new"


def order_open_incidents(incidents: list[Incident]) -> list[Incident]:
    """Unacknowledged first, then by severity (Sev1 first), then oldest first."""
    return sorted(
        incidents,
        key=lambda i: (i.status is not IncidentStatus.OPEN, i.severity.value, i.created_at),
    )


class HandoffNotifier(Protocol):
    """What the handoff needs of Slack besides posts (those go through the outbox)."""

    async def user_group(self, group_id: str, members: list[str]) -> None:
        """Make the user group hold exactly ``members``; raises when Slack refuses."""
        ...
