"""The incident report: counts, MTTA and MTTR, open postmortems.

MTTA: from an incident's creation to its first acknowledgement, over incidents that were
acknowledged. MTTR: from creation to resolution, over incidents that were resolved.
Both are given as median and mean; the median resists one incident left open over a weekend.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.incidents.model import Incident, IncidentStatus, Severity


@dataclass(frozen=True)
class DurationStats:
    count: int
    median: timedelta | None
    mean: timedelta | None

    @classmethod
    def of(cls, values: list[timedelta]) -> DurationStats:
        if not values:
            return cls(count=0, median=None, mean=None)
        seconds = [v.total_seconds() for v in values]
        return cls(
            count=len(values),
            median=timedelta(seconds=statistics.median(seconds)),
            mean=timedelta(seconds=statistics.fmean(seconds)),
        )


@dataclass(frozen=True)
class IncidentReport:
    since: datetime | None
    until: datetime
    total: int
    by_severity: dict[Severity, int]
    by_status: dict[IncidentStatus, int]
    mtta: DurationStats
    mttr: DurationStats
    open_postmortems: list[Incident] = field(default_factory=list)


def build_report(
    incidents: list[Incident], *, since: datetime | None, until: datetime
) -> IncidentReport:
    severities = Counter(i.severity for i in incidents)
    statuses = Counter(i.status for i in incidents)
    acks = [i.acknowledged_at - i.created_at for i in incidents if i.acknowledged_at]
    fixes = [i.resolved_at - i.created_at for i in incidents if i.resolved_at]
    return IncidentReport(
        since=since,
        until=until,
        total=len(incidents),
        by_severity={sev: severities.get(sev, 0) for sev in Severity},
        by_status={status: statuses.get(status, 0) for status in IncidentStatus},
        mtta=DurationStats.of(acks),
        mttr=DurationStats.of(fixes),
        open_postmortems=[i for i in incidents if i.postmortem_pending],
    )
