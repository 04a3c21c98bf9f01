"""The posts the outbox owes about an incident, each with the facts its message shows.

Each is decided where the incident changes, in that transaction, and rendered from what
it carries: the incident as it was when the post was decided (``incident``), so nothing is
read back to render it, and a post delivered late still says what was decided on time.
Ages and who is paged now are the renderer's to read at posting time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from bot.incidents.model import AlertLine, Incident
from bot.outbox.model import Post, PostKind


def card_key(incident_id: str) -> str:
    """The outbox key of an incident's card: replies about the incident go in its thread."""
    return f"card:{incident_id}"


def bare(incident: Incident) -> Incident:
    """``incident`` without its timeline: what a chasing post needs, kept small."""
    return replace(incident, timeline=[])


@dataclass(frozen=True, kw_only=True)
class IncidentCard(Post):
    """The incident's card in the incidents channel, as the incident was declared."""

    kind = PostKind.INCIDENT_CARD
    incident: Incident


@dataclass(frozen=True, kw_only=True)
class IncidentCardLate(Post):
    """The card's own channel refused it and it went to a fallback (``moved_to``): once a
    person fixes the channel (invites the bot, unarchives it), a pointer lands there."""

    kind = PostKind.INCIDENT_CARD_LATE
    incident: Incident
    reason: str
    moved_to: str


def card_late_key(incident_id: str) -> str:
    return f"card-late:{incident_id}"


@dataclass(frozen=True, kw_only=True)
class IncidentCardUpdate(Post):
    """The card brought up to date: one edit per incident, newer changes coalesce."""

    kind = PostKind.INCIDENT_CARD_UPDATE
    new_message = False
    incident: Incident


@dataclass(frozen=True, kw_only=True)
class IncidentCreatedReply(Post):
    """The reporter's answer, through ``response_url`` while Slack still takes it."""

    kind = PostKind.INCIDENT_CREATED_REPLY
    new_message = False
    incident: Incident
    user: str
    response_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class AlertsReply(Post):
    """What one Alertmanager notification changed, as one thread reply."""

    kind = PostKind.INCIDENT_ALERTS_REPLY
    fired: tuple[AlertLine, ...] = ()
    resolved: tuple[AlertLine, ...] = ()
    more: int = 0
    """Alerts left out of the lists (the timeline has them)."""
    truncated: int = 0
    """Alerts Alertmanager itself left out (``truncatedAlerts``)."""
    clipped: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PostmortemDraft(Post):
    """A postmortem draft from the timeline, in the card's thread."""

    kind = PostKind.INCIDENT_POSTMORTEM_DRAFT
    incident: Incident


@dataclass(frozen=True, kw_only=True)
class Reminder(Post):
    """The incident is still unacknowledged: the on-call paged at posting time is named."""

    kind = PostKind.INCIDENT_REMINDER
    incident: Incident
    number: int


@dataclass(frozen=True, kw_only=True)
class Escalation(Post):
    """The response time passed: ``people`` and the user group are paged, the channel too
    when ``broadcast``."""

    kind = PostKind.INCIDENT_ESCALATION
    incident: Incident
    level: int
    respond_within: timedelta
    people: tuple[str, ...] = ()
    user_group: str | None = None
    broadcast: bool = False


@dataclass(frozen=True, kw_only=True)
class PostmortemNudge(Post):
    """A resolved incident still has no postmortem, ``days`` after."""

    kind = PostKind.INCIDENT_POSTMORTEM_NUDGE
    incident: Incident
    days: int = 1


@dataclass(frozen=True, kw_only=True)
class IncidentNews(Post):
    """Something that happened to the incident outside its card (a run linked to it
    started or ended, the model recovered): its timeline entry, as one thread reply."""

    kind = PostKind.INCIDENT_NEWS
    action: str
    note: str = ""
    actor: str


@dataclass(frozen=True, kw_only=True)
class ChaseOutcome(Post):
    """A reminder or an escalation already out (``thread_key``) turns its Acknowledge
    into who took the incident: ``incident`` as it left ``open``. ``level`` is the
    escalation's, None for a reminder."""

    kind = PostKind.INCIDENT_CHASE_OUTCOME
    new_message = False
    incident: Incident
    level: int | None = None


def chase_outcome_key(chase_key: str) -> str:
    return f"chase-outcome:{chase_key}"


INCIDENT_POSTS = (
    IncidentCard,
    IncidentCardLate,
    IncidentCardUpdate,
    IncidentCreatedReply,
    AlertsReply,
    PostmortemDraft,
    Reminder,
    Escalation,
    PostmortemNudge,
    IncidentNews,
    ChaseOutcome,
)
