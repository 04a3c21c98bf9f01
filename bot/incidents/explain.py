"""Why an incident exists and what joined it: its signals, read off its timeline.

A signal is what the bot heard from a source other than a person: an Alertmanager alert
group, the health probes, a runbook run, the model's recovery. ``explain`` says which one
opened the incident and which came after it (``python -m bot incident explain ID``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.incidents.joining import by_a_person
from bot.incidents.model import Incident, TimelineEntry

PERSON = "a person"
SOURCES = {
    "alertmanager": "Alertmanager",
    "health-probe": "the health probes",
    "artisan-sre": "a runbook run",
}
"""Who the bot's own actors are, as a reader names them; anyone else is a person."""
SIGNAL_ACTIONS = ("alerts", "joined", "runbook ", "recovered", "severity changed")
"""Timeline entries that record a signal (a prefix of the action)."""


@dataclass(frozen=True)
class Signal:
    """One source's word on the incident: when, who (``source``), and what it said."""

    entry: TimelineEntry
    source: str


@dataclass(frozen=True)
class Explanation:
    incident: Incident
    opened_by: str
    opening: tuple[Signal, ...]
    """What the opener said as it opened the incident (its first alerts), when it did."""
    joined: tuple[Signal, ...]


def source_of(actor: str) -> str:
    if actor in SOURCES:
        return SOURCES[actor]
    return PERSON if by_a_person(actor) else actor


def explain(incident: Incident) -> Explanation:
    opener = incident.created_by
    signals = [
        Signal(entry=entry, source=source_of(entry.actor))
        for entry in incident.timeline
        if entry.action.startswith(SIGNAL_ACTIONS)
    ]
    # The opener's first word is why it opened the incident; everything after joined it.
    opened = 1 if signals and signals[0].entry.actor == opener else 0
    return Explanation(
        incident=incident,
        opened_by=source_of(opener),
        opening=tuple(signals[:opened]),
        joined=tuple(signals[opened:]),
    )
