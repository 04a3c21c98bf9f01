"""Replies in an incident's thread that chase it: reminders, escalations, postmortem nudges."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.durations import format_duration, humanize
from bot.incidents.model import Incident
from handlers.blocks.incident import IncidentAction, acknowledged
from handlers.blocks.text import button, escape, fallback, mention, placeholder, section


def _ack_button(incident: Incident) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            button(
                "Acknowledge",
                action_id=IncidentAction.ACKNOWLEDGE,
                value=incident.id,
                style="danger",
            )
        ],
    }


def reminder_reply(incident: Incident, *, elapsed: timedelta, oncall: str | None) -> dict[str, Any]:
    who = f"{mention(oncall)}, " if oncall else ""
    text = (
        f"⏰ {who}*{incident.id}* ({incident.severity.label}) is still unacknowledged after "
        f"{humanize(elapsed)}: {escape(incident.title)}"
    )
    return {"text": fallback(text), "blocks": [section(text), _ack_button(incident)]}


def escalation_reply(
    incident: Incident,
    *,
    level: int,
    elapsed: timedelta,
    respond_within: timedelta,
    people: list[str],
    user_group: str | None,
    broadcast: bool,
) -> dict[str, Any]:
    # These mentions are meant to notify: the response time has passed.
    audience = [mention(p) for p in people]
    if user_group:
        audience.append(f"<!subteam^{user_group}>")
    if broadcast:
        audience.append("<!channel>")
    text = (
        f"🚨 *Escalation {level}*: *{incident.id}* ({incident.severity.label}, respond within "
        f"{format_duration(respond_within)}) has had no acknowledgement for {humanize(elapsed)}. "
        f"{' '.join(audience)} please take it: {escape(incident.title)}"
    )
    return {"text": fallback(text), "blocks": [section(text), _ack_button(incident)]}


def chase_outcome_reply(incident: Incident, *, level: int | None) -> dict[str, Any]:
    """A reminder or an escalation once its incident left ``open``: who took it, after how
    long, in place of the Acknowledge button (nobody is chased any more)."""
    what = "⏰ Reminder" if level is None else f"🚨 Escalation {level}"
    by = acknowledged(incident)
    taken = f"*{incident.id}* ({incident.severity.label}) " + (
        f"was acknowledged by {by}" if by else f"is {incident.status.label.lower()}"
    )
    text = f"{what}: ✅ {taken}: {escape(incident.title)}"
    return {"text": fallback(text), "blocks": [section(text)]}


def postmortem_nudge_reply(incident: Incident, *, days: int) -> dict[str, Any]:
    owner = mention(incident.acknowledged_by) + ", " if incident.acknowledged_by else ""
    text = (
        f"📝 {owner}*{incident.id}* ({incident.severity.label}) was resolved {days} day"
        f"{'s' if days != 1 else ''} ago and still has no postmortem. `/incident postmortem "
        f"{incident.id}` posts a draft from the timeline; `/incident postmortem {incident.id} {placeholder('url')}` "
        "records it."
    )
    return {"text": fallback(text), "blocks": [section(text)]}
