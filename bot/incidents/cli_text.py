"""Plain-text and JSON forms of incidents, for the CLI (docs/guide.md#incident-create)."""

from __future__ import annotations

from typing import Any

from bot.durations import humanize
from bot.i18n import ENGLISH, Words, pad
from bot.incidents.explain import PERSON, Explanation
from bot.incidents.model import Incident
from bot.incidents.report import DurationStats, IncidentReport
from bot.incidents.vocabulary import status_word
from bot.people import Names, ids_in

# People are printed by the names the caller looked up (``bot.people.look_up``); the JSON
# keeps their IDs, which scripts join on.


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def incident_json(incident: Incident) -> dict[str, Any]:
    """The stable ``--json`` shape of an incident; scripts depend on these keys."""
    return {
        "id": incident.id,
        "title": incident.title,
        "description": incident.description,
        "severity": incident.severity.label,
        "status": incident.status.value,
        "components": incident.components,
        "created_at": _iso(incident.created_at),
        "created_by": incident.created_by,
        "acknowledged_by": incident.acknowledged_by,
        "acknowledged_at": _iso(incident.acknowledged_at),
        "mitigated_at": _iso(incident.mitigated_at),
        "resolved_at": _iso(incident.resolved_at),
        "closed_at": _iso(incident.closed_at),
        "root_cause": incident.root_cause,
        "resolution": incident.resolution,
        "postmortem_url": incident.postmortem_url,
        "timeline": [
            {"at": _iso(e.at), "actor": e.actor, "action": e.action, "note": e.note}
            for e in incident.timeline
        ],
    }


def created_lines(incident: Incident) -> str:
    """The lines printed when an incident is created, as the team's guide prints them."""
    affected = ", ".join(incident.components) or "-"
    return (
        f"🚨 Incident Created: {incident.id} [{incident.severity.label}]\n"
        f"   Title: {incident.title}\n"
        f"   Affected: {affected}"
    )


def people_in(incidents: list[Incident]) -> list[str]:
    """Everyone these incidents' lines name: who opened, acknowledged and acted on them."""
    return [
        person
        for i in incidents
        for person in (
            i.created_by,
            i.acknowledged_by,
            *(e.actor for e in i.timeline),
            *ids_in(*(e.note for e in i.timeline)),
        )
        if person
    ]


def acknowledged_lines(incident: Incident, names: Names | None = None) -> str:
    names = names or Names()
    assert incident.acknowledged_at is not None
    delay = humanize(incident.acknowledged_at - incident.created_at)
    return (
        f"👀 Incident Acknowledged: {incident.id} [{incident.severity.label}]\n"
        f"   Responder: {names(incident.acknowledged_by or '-')}\n"
        f"   Time to acknowledge: {delay}"
    )


def detail_text(incident: Incident, names: Names | None = None, *, words: Words = ENGLISH) -> str:
    """``incident show``: the incident's fields, then its timeline as recorded."""
    names = names or Names()
    _ = words.gettext

    def field(label: str, value: str) -> str:
        return f"   {pad(label + ':', 14)}{value}"

    opened = f"{incident.created_at:%Y-%m-%d %H:%M:%S}"
    lines = [
        f"{incident.id} [{incident.severity.label}] {incident.title}",
        field(_("Status"), status_word(incident.status, words)),
        field(_("Components"), ", ".join(incident.components) or "-"),
        field(_("Opened"), _("{at} UTC by {name}", at=opened, name=names(incident.created_by))),
        field(_("Acknowledged"), names(incident.acknowledged_by or "-")),
        field(_("Root cause"), incident.root_cause or "-"),
        field(_("Resolution"), incident.resolution or "-"),
        field(_("Postmortem"), incident.postmortem_url or "-"),
        "   " + _("Timeline") + ":",
    ]
    for entry in incident.timeline:
        note = f" — {names.in_text(entry.note)}" if entry.note else ""
        # The entry's action is the word the timeline stores (and --json shows).
        at = f"{entry.at:%Y-%m-%d %H:%M:%S}"
        what = _("{at} {action} by {name}", at=at, action=entry.action, name=names(entry.actor))
        lines.append(f"     {what}{note}")
    return "\n".join(lines)


def list_text(
    incidents: list[Incident],
    names: Names | None = None,
    *,
    words: Words = ENGLISH,
    everything: bool = False,
) -> str:
    """``incident list``: one line per incident; ``everything`` when resolved and closed
    ones were asked for too (``--all``), which changes what "none" means."""
    names = names or Names()
    if not incidents:
        if everything:
            return words.pgettext("incident list --all", "No incidents.")
        return words.pgettext("incident list", "No incidents.")
    return "\n".join(
        f"{i.id}  {i.severity.label}  {pad(status_word(i.status, words), 13)} "
        f"{names(i.acknowledged_by or '-'):<12} {i.title}"
        for i in incidents
    )


def _stats(stats: DurationStats) -> str:
    if stats.median is None or stats.mean is None:
        return "no data"
    return f"median {humanize(stats.median)}, mean {humanize(stats.mean)} (n={stats.count})"


def report_text(report: IncidentReport) -> str:
    rule = "=" * 60
    period = "all time" if report.since is None else f"since {report.since:%Y-%m-%d %H:%M} UTC"
    lines = [rule, f"Incident Report ({period})", rule, f"Total incidents:   {report.total}", ""]
    lines.append("By severity:")
    lines += [f"   {sev.label}:  {count}" for sev, count in report.by_severity.items()]
    lines.append("By status:")
    lines += [f"   {status.value:<14}{count}" for status, count in report.by_status.items()]
    lines += [
        "",
        f"MTTA (opened → acknowledged): {_stats(report.mtta)}",
        f"MTTR (opened → resolved):     {_stats(report.mttr)}",
        "",
        "Postmortems due: " + (", ".join(i.id for i in report.open_postmortems) or "none"),
        rule,
    ]
    return "\n".join(lines)


def explain_text(explanation: Explanation, names: Names | None = None) -> str:
    """Why the incident was opened and what joined it, for the shell."""
    names = names or Names()
    incident = explanation.incident
    who = explanation.opened_by
    if who == PERSON:
        who = f"{names(incident.created_by)} (by hand)"
    lines = [
        f"{incident.id} [{incident.severity.label}] {incident.title}",
        f"   Opened {incident.created_at:%Y-%m-%d %H:%M:%S} UTC by {who}",
    ]
    lines += [f"     {names.in_text(s.entry.note)}" for s in explanation.opening if s.entry.note]
    if not explanation.joined:
        lines.append("   Nothing joined it since.")
    else:
        lines.append("   Then:")
    for signal in explanation.joined:
        note = f" — {names.in_text(signal.entry.note)}" if signal.entry.note else ""
        lines.append(
            f"     {signal.entry.at:%Y-%m-%d %H:%M:%S} {signal.source}: {signal.entry.action}{note}"
        )
    return "\n".join(lines)
