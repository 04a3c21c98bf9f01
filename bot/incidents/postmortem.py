"""A blameless postmortem draft built from the incident's timeline."""

from __future__ import annotations

from bot.durations import humanize
from bot.errors import Hint, Spelling, slash_command
from bot.incidents.model import Incident
from bot.people import Names


def _root_cause_hint(incident: Incident) -> Hint:
    return Hint("incident", "rootcause", (incident.id, "<what caused it>"))


def _stamp(incident: Incident) -> str:
    return incident.created_at.strftime("%Y-%m-%d %H:%M UTC")


def postmortem_draft(
    incident: Incident, *, names: Names | None = None, spelling: Spelling = slash_command
) -> str:
    """Markdown with the template's sections: summary, impact, timeline, root cause,
    resolution and action items. Facts come from the record; judgement is left blank.

    People are written as ``names`` has them (Slack turns the IDs left into mentions, the
    shell passes display names); commands are spelled for the door that shows the draft.
    """
    names = names or Names()
    duration = "ongoing"
    if incident.resolved_at is not None:
        duration = humanize(incident.resolved_at - incident.created_at)
    time_to_ack = "not acknowledged"
    if incident.acknowledged_at is not None:
        time_to_ack = humanize(incident.acknowledged_at - incident.created_at)
    components = ", ".join(incident.components) or "not recorded"
    lines = [
        f"# Postmortem: {incident.id} — {incident.title}",
        "",
        "_Blameless: describe what the system and the process allowed, not who erred._",
        "",
        "## Summary",
        f"{incident.severity.label} incident opened {_stamp(incident)}. {incident.description}".strip(),
        "",
        "## Impact",
        f"- Affected components: {components}",
        f"- Duration (opened → resolved): {duration}",
        f"- Time to acknowledge: {time_to_ack}",
        "- Users affected: _to fill in_",
        "- Error budget consumed: _to fill in_",
        "",
        "## Timeline (UTC)",
    ]
    for entry in incident.timeline:
        note = f" — {names.in_text(entry.note)}" if entry.note else ""
        lines.append(f"- {entry.at:%Y-%m-%d %H:%M:%S} {entry.action} by {names(entry.actor)}{note}")
    lines += [
        "",
        "## Root cause",
        incident.root_cause
        or f"_Not recorded yet: `{spelling(_root_cause_hint(incident))}` sets it._",
        "",
        "## Resolution",
        incident.resolution or "_Not recorded yet._",
        "",
        "## Action items",
        "- [ ] _Action_ — owner — due date",
        "",
        "## What went well / what could improve",
        "- _to fill in_",
    ]
    return "\n".join(lines)
