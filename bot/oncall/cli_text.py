"""The handoff as the shell shows it: ``python -m bot oncall handoff --preview``."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.oncall.handoff_message import HandoffMessage
from bot.people import Names


def people_in(message: HandoffMessage) -> list[str]:
    """Everyone the handoff names: both pools' people, owners of incidents, who was paged."""
    pages = message.fatigue.fatigue.pages if message.fatigue is not None else {}
    return [
        *(who for pool in message.pools for who in (pool.outgoing, pool.incoming)),
        *(i.acknowledged_by for i in message.open_incidents if i.acknowledged_by),
        *pages,
    ]


def handoff_lines(message: HandoffMessage, zone: tzinfo, names: Names | None = None) -> list[str]:
    """What the Slack handoff post says, as plain lines: pools, incidents, SLOs, checklist;
    people by ``names``."""
    names = names or Names()

    def local(instant: datetime) -> str:
        return f"{instant.astimezone(zone):%a %Y-%m-%d %H:%M %Z}"

    lines = [f"On-call handoff · {local(message.at)}"]
    for pool in message.pools:
        paged = ", ".join(
            f"{c.start_local:%a %H:%M} → {c.end_local:%a %H:%M}" for c in pool.coverage
        )
        lines.append(
            f"  {pool.pool.value.capitalize()}: {names(pool.outgoing)} → {names(pool.incoming)}"
        )
        lines.append(f"    paged {paged or '—'}")
    lines.append("Open incidents:")
    for incident in message.open_incidents:
        owner = names(incident.acknowledged_by) if incident.acknowledged_by else "unacknowledged"
        lines.append(
            f"  {incident.id} {incident.severity.label} {incident.status.value} "
            f"{incident.title} · {owner} · {message.age_of(incident)}"
        )
    if not message.open_incidents:
        lines.append("  none")
    lines.append("SLO status:")
    results = message.slo.results if message.slo is not None else []
    lines += [f"  {r.name}: {r.status.value}" for r in results] or ["  not available"]
    lines.append("Last shift:")
    fatigue = message.fatigue
    if fatigue is None:
        lines.append("  no rotation configured")
    else:
        lines += [
            f"  {names(user)}: {count} page{'s' if count != 1 else ''}, "
            f"{fatigue.fatigue.out_of_hours.get(user, 0)} out of hours"
            for user, count in fatigue.fatigue.pages.items()
        ] or ["  no pages"]
    lines.append("Checklist:")
    lines += [f"  [ ] {item}" for item in message.checklist]
    lines.append("Next handoffs: " + " · ".join(local(at) for at in message.next_handoffs))
    return lines
