"""An incident as its stored row says, from ``storage.incidents`` or from the shell's quick
read (``storage.incident_listing``); importing this loads no database layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.incidents.model import Incident, IncidentStatus, Severity, TimelineEntry

if TYPE_CHECKING:
    from storage.incident_listing import IncidentRecord
    from storage.incidents import IncidentRow, TimelineRow


def incident_from_row(
    row: IncidentRow | IncidentRecord, timeline: Sequence[TimelineRow] = ()
) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        description=row.description,
        severity=Severity(row.severity),
        status=IncidentStatus(row.status),
        components=list(row.components or []),
        created_at=row.created_at,
        created_by=row.created_by,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        mitigated_at=row.mitigated_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        root_cause=row.root_cause,
        resolution=row.resolution,
        postmortem_url=row.postmortem_url,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        version=row.version,
        timeline=[
            TimelineEntry(at=t.at, actor=t.actor, action=t.action, note=t.note) for t in timeline
        ],
    )
