"""The incident domain model: severities, the lifecycle as a table, and the incident record."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.errors import HINT, Hint, InvalidInput, TransitionForbidden
from bot.i18n import N_

TITLE_MAX = 3000
TEXT_MAX = 3000
COMPONENTS_MAX = 20
COMPONENT_MAX = 64

INCIDENT_ID = re.compile(r"^INC-\d{8}-\d{6}(-\d{1,4})?$")


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"

    @property
    def label(self) -> str:
        """As the guide writes it: ``Sev2``."""
        return "Sev" + self.value[-1]

    @property
    def needs_postmortem(self) -> bool:
        """A postmortem is required for Sev1 and Sev2 (docs/guide.md#incident-lifecycle)."""
        return self in (Severity.SEV1, Severity.SEV2)

    @classmethod
    def parse(cls, text: str) -> Severity:
        cleaned = text.strip().lower()
        if cleaned in {"1", "2", "3", "4"}:
            cleaned = "sev" + cleaned
        try:
            return cls(cleaned)
        except ValueError:
            raise InvalidInput(
                f"Unknown severity {text!r}: use sev1, sev2, sev3 or sev4."
            ) from None


class IncidentStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class IncidentEvent(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    INVESTIGATE = "investigate"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"


S = IncidentStatus
E = IncidentEvent

# The lifecycle, whole: (state, event) -> next state. Anything absent is forbidden.
# Leaving OPEN by any event other than ACKNOWLEDGE also records the actor as the one
# who acknowledged: whoever moves an incident owns it, so reminders stop (see service).
TRANSITIONS: dict[tuple[IncidentStatus, IncidentEvent], IncidentStatus] = {
    (S.OPEN, E.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.OPEN, E.INVESTIGATE): S.INVESTIGATING,
    (S.OPEN, E.MITIGATE): S.MITIGATED,
    (S.OPEN, E.RESOLVE): S.RESOLVED,
    (S.ACKNOWLEDGED, E.INVESTIGATE): S.INVESTIGATING,
    (S.ACKNOWLEDGED, E.MITIGATE): S.MITIGATED,
    (S.ACKNOWLEDGED, E.RESOLVE): S.RESOLVED,
    (S.INVESTIGATING, E.MITIGATE): S.MITIGATED,
    (S.INVESTIGATING, E.RESOLVE): S.RESOLVED,
    (S.MITIGATED, E.INVESTIGATE): S.INVESTIGATING,
    (S.MITIGATED, E.RESOLVE): S.RESOLVED,
    (S.RESOLVED, E.REOPEN): S.INVESTIGATING,
    (S.RESOLVED, E.CLOSE): S.CLOSED,
}

ACTIVE = frozenset({S.OPEN, S.ACKNOWLEDGED, S.INVESTIGATING, S.MITIGATED})
TERMINAL = frozenset({S.CLOSED})
EDITABLE = frozenset(set(IncidentStatus) - TERMINAL)

STATUS_EVENTS: dict[IncidentStatus, IncidentEvent] = {
    S.ACKNOWLEDGED: E.ACKNOWLEDGE,
    S.INVESTIGATING: E.INVESTIGATE,
    S.MITIGATED: E.MITIGATE,
    S.RESOLVED: E.RESOLVE,
    S.CLOSED: E.CLOSE,
}


def next_status(
    current: IncidentStatus, event: IncidentEvent, *, incident_id: str
) -> IncidentStatus:
    """The state after ``event``, or TransitionForbidden saying what is allowed instead."""
    target = TRANSITIONS.get((current, event))
    if target is not None:
        return target
    allowed = sorted(e.value for (state, e) in TRANSITIONS if state == current)
    advice = f" From {current.value} you can: {', '.join(allowed)}." if allowed else ""
    hint = None
    if current is S.OPEN and event is E.CLOSE:
        advice = f" Resolve it first: `{HINT}`."
        hint = Hint("incident", "resolve", (incident_id, "<what fixed it>"))
    raise TransitionForbidden(
        f"{incident_id} is {current.value}: cannot {event.value} it.{advice}", hint=hint
    )


def validate_incident_id(text: str) -> str:
    candidate = text.strip().upper()
    if not INCIDENT_ID.match(candidate):
        raise InvalidInput(
            N_("{text} is not an incident ID: they look like INC-20251014-103000."),
            values={"text": repr(text)},
        )
    return candidate


def severity_and_title(text: str) -> tuple[Severity, str]:
    """``sev2 Qwen down`` → (Sev2, "Qwen down"), as ``/incident create`` and the shell read a
    declaration: a first word starting with "sev" is the severity (an unknown one is refused,
    never taken for the title); without one, Sev3 and the whole text."""
    words = text.split(maxsplit=1)
    if words and words[0].lower().startswith("sev"):
        return Severity.parse(words[0]), words[1] if len(words) > 1 else ""
    return Severity.SEV3, text


def validate_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise InvalidInput(
            f"An incident needs a title: `{HINT}`.",
            hint=Hint("incident", "create", ("sev2", "<what is broken>")),
        )
    if len(cleaned) > TITLE_MAX:
        raise InvalidInput(
            f"The title is {len(cleaned):,} characters; keep it under {TITLE_MAX:,} "
            "and put details in the description or a note."
        )
    return cleaned


def validate_text(text: str, *, what: str, required: bool = True) -> str:
    cleaned = text.strip()
    if required and not cleaned:
        raise InvalidInput(f"The {what} is empty.")
    if len(cleaned) > TEXT_MAX:
        raise InvalidInput(f"The {what} is {len(cleaned):,} characters; the limit is {TEXT_MAX:,}.")
    return cleaned


def validate_components(components: list[str]) -> list[str]:
    cleaned = [c.strip() for c in components if c and c.strip()]
    if len(cleaned) > COMPONENTS_MAX:
        raise InvalidInput(f"At most {COMPONENTS_MAX} components, not {len(cleaned)}.")
    for name in cleaned:
        if len(name) > COMPONENT_MAX:
            raise InvalidInput(f"Component names are at most {COMPONENT_MAX} characters.")
    return list(dict.fromkeys(cleaned))


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    action: str
    note: str = ""


@dataclass(frozen=True)
class Incident:
    """An incident as the domain and the renderers see it (read from storage)."""

    id: str
    title: str
    severity: Severity
    status: IncidentStatus
    created_at: datetime
    created_by: str
    description: str = ""
    components: list[str] = field(default_factory=list)
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    root_cause: str | None = None
    resolution: str | None = None
    postmortem_url: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    version: int = 1
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def postmortem_pending(self) -> bool:
        """Sev1/Sev2 resolved (or later) without a recorded postmortem."""
        return (
            self.severity.needs_postmortem
            and self.status in (S.RESOLVED, S.CLOSED)
            and not self.postmortem_url
        )


@dataclass(frozen=True)
class AlertLine:
    """One alert as a person reads it in a card or a thread reply (plain text, clipped)."""

    name: str
    summary: str
    severity: str
    where: str = ""
