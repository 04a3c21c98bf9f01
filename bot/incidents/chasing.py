"""When an unacknowledged incident is chased: reminders, escalations, postmortem nudges.

Pure arithmetic on stored instants: what is due is derived from the incident itself, so a
restarted scheduler finds exactly what was due. Only the newest due item of each kind is
returned: after downtime a missed reminder is posted once, not in a burst.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.incidents.model import Incident, IncidentStatus


@dataclass(frozen=True)
class Due:
    """The ``number``-th occurrence of something due at ``due_at``."""

    kind: str
    incident_id: str
    number: int
    due_at: datetime

    @property
    def key(self) -> str:
        """The post key: one post per incident, kind and due time, ever."""
        return f"{self.kind}:{self.incident_id}:{self.due_at.isoformat()}"


def _latest(start: datetime, every: timedelta, now: datetime) -> tuple[int, datetime] | None:
    if now < start + every:
        return None
    number = int((now - start) / every)
    return number, start + number * every


def due_reminder(incident: Incident, *, every: timedelta, now: datetime) -> Due | None:
    """The newest reminder due for an open incident: at +every, +2·every, ..."""
    if incident.status is not IncidentStatus.OPEN:
        return None
    found = _latest(incident.created_at, every, now)
    return Due("reminder", incident.id, *found) if found else None


def due_escalation(
    incident: Incident, *, respond_within: timedelta, now: datetime, max_levels: int
) -> Due | None:
    """The newest escalation level due: level k at k × the severity's response time."""
    if incident.status is not IncidentStatus.OPEN:
        return None
    found = _latest(incident.created_at, respond_within, now)
    if found is None:
        return None
    level = min(found[0], max_levels)
    return Due("escalation", incident.id, level, incident.created_at + level * respond_within)


def due_postmortem_nudge(incident: Incident, *, now: datetime) -> Due | None:
    """One nudge a day for a resolved Sev1/Sev2 that still has no postmortem."""
    if not incident.postmortem_pending or incident.resolved_at is None:
        return None
    if incident.status is not IncidentStatus.RESOLVED:
        return None
    found = _latest(incident.resolved_at, timedelta(days=1), now)
    return Due("postmortem", incident.id, *found) if found else None
