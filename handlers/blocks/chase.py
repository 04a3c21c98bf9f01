"""Replies in an incident's thread that chase it: reminders, escalations, postmortem nudges."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.durations import format_duration, humanize
from bot.i18n import ENGLISH, Words
from bot.incidents.model import Incident
from bot.incidents.vocabulary import status_word
from handlers.blocks.incident import acknowledge_button, acknowledged
from handlers.blocks.text import escape, fallback, mention, placeholder, section


def _ack_button(incident: Incident, words: Words) -> dict[str, Any]:
    return {"type": "actions", "elements": [acknowledge_button(incident, words=words)]}


def reminder_reply(
    incident: Incident, *, elapsed: timedelta, oncall: str | None, words: Words = ENGLISH
) -> dict[str, Any]:
    who = f"{mention(oncall)}, " if oncall else ""
    text = words.gettext(
        "⏰ {who}*{id}* ({severity}) is still unacknowledged after {elapsed}: {title}",
        who=who,
        id=incident.id,
        severity=incident.severity.label,
        elapsed=humanize(elapsed, words=words),
        title=escape(incident.title),
    )
    return {"text": fallback(text), "blocks": [section(text), _ack_button(incident, words)]}


def escalation_reply(
    incident: Incident,
    *,
    level: int,
    elapsed: timedelta,
    respond_within: timedelta,
    people: list[str],
    user_group: str | None,
    broadcast: bool,
    words: Words = ENGLISH,
) -> dict[str, Any]:
    # These mentions are meant to notify: the response time has passed.
    audience = [mention(p) for p in people]
    if user_group:
        audience.append(f"<!subteam^{user_group}>")
    if broadcast:
        audience.append("<!channel>")
    text = words.gettext(
        "🚨 *Escalation {level}*: *{id}* ({severity}, respond within {respond_within}) has had "
        "no acknowledgement for {elapsed}. {audience} please take it: {title}",
        level=level,
        id=incident.id,
        severity=incident.severity.label,
        respond_within=format_duration(respond_within, words=words),
        elapsed=humanize(elapsed, words=words),
        audience=" ".join(audience),
        title=escape(incident.title),
    )
    return {"text": fallback(text), "blocks": [section(text), _ack_button(incident, words)]}


def chase_outcome_reply(
    incident: Incident, *, level: int | None, words: Words = ENGLISH
) -> dict[str, Any]:
    """A reminder or an escalation once its incident left ``open``: who took it, after how
    long, in place of the Acknowledge button (nobody is chased any more)."""
    _ = words.gettext
    what = _("⏰ Reminder") if level is None else _("🚨 Escalation {level}", level=level)
    by = acknowledged(incident, words=words)
    values = {"id": incident.id, "severity": incident.severity.label}
    if by:
        taken = _("*{id}* ({severity}) was acknowledged by {by}", by=by, **values)
    else:
        taken = _(
            "*{id}* ({severity}) is {status}", status=status_word(incident.status, words), **values
        )
    text = _("{what}: ✅ {taken}: {title}", what=what, taken=taken, title=escape(incident.title))
    return {"text": fallback(text), "blocks": [section(text)]}


def postmortem_nudge_reply(
    incident: Incident, *, days: int, words: Words = ENGLISH
) -> dict[str, Any]:
    owner = mention(incident.acknowledged_by) + ", " if incident.acknowledged_by else ""
    draft = f"`/incident postmortem {incident.id}`"
    record = f"`/incident postmortem {incident.id} {placeholder('url')}`"
    text = words.ngettext(
        "📝 {owner}*{id}* ({severity}) was resolved {n} day ago and still has no postmortem. "
        "{draft} posts a draft from the timeline; {record} records it.",
        "📝 {owner}*{id}* ({severity}) was resolved {n} days ago and still has no postmortem. "
        "{draft} posts a draft from the timeline; {record} records it.",
        days,
        owner=owner,
        id=incident.id,
        severity=incident.severity.label,
        draft=draft,
        record=record,
    )
    return {"text": fallback(text), "blocks": [section(text)]}
