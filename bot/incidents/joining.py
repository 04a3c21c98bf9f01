"""Join, don't open: which open incident a new signal about some components belongs to.

One failure is seen by several sources: the health probes' runbook, an Alertmanager group,
an SLO's burn-rate page. Each would open its own incident; instead, a signal about
something an open incident is already about joins it (docs/guide.md#one-failure-one-incident).
Two sets of components are about the same trouble when they share a component, or when one
of the team's ``related`` groups (sre.yaml ``incidents.join.related``) holds a component of
each. Names compare without case or surrounding space ("Qwen" is the alert label "qwen").
An incident a person declared is joined only by a shared component: its components are what
that person chose ("payments, api" is not a Qwen failure), while the groups say how the
signals the bot hears relate to one another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.incidents.model import Incident
from bot.slack_ids import USER_ID

DEFAULT_WITHIN = timedelta(hours=6)
DEFAULT_RELATED: tuple[tuple[str, ...], ...] = (
    # The API serves briefs with the LLM's three modes and Qwen behind creative: trouble
    # in any of them is what the API's SLOs see.
    ("API", "LLM", "Qwen", "fast mode", "balanced mode", "creative mode"),
    # The API also serves the RL model's recommendations.
    ("API", "RL"),
)


def _names(components: Iterable[str]) -> frozenset[str]:
    return frozenset(c.strip().casefold() for c in components if c.strip())


@dataclass(frozen=True)
class JoinRules:
    """What joins what: ``within`` (None: never join) is how old an open incident may be and
    still be joined; ``related`` are the groups of components that are one trouble."""

    within: timedelta | None = DEFAULT_WITHIN
    related: tuple[frozenset[str], ...] = field(
        default_factory=lambda: tuple(_names(group) for group in DEFAULT_RELATED)
    )

    @classmethod
    def of(cls, *, within: timedelta | None, related: Iterable[Iterable[str]]) -> JoinRules:
        return cls(within=within, related=tuple(_names(group) for group in related))

    def about_the_same(
        self, ours: Iterable[str], theirs: Iterable[str], *, related: bool = True
    ) -> bool:
        """Whether two sets of components are one trouble; ``related=False``: only by a
        component both name."""
        mine, others = _names(ours), _names(theirs)
        if mine & others:
            return True
        return related and any(mine & group and others & group for group in self.related)


def by_a_person(actor: str) -> bool:
    """Whether ``actor`` is a person (a Slack user, the shell), not one of the bot's sources."""
    return bool(USER_ID.match(actor)) or actor == "cli"


def incident_to_join(
    incidents: Sequence[Incident], *, components: Sequence[str], rules: JoinRules, now: datetime
) -> Incident | None:
    """The open incident a new signal about ``components`` joins, or None to open one: the
    earliest opened within ``rules.within`` that is about the same trouble. A signal that
    names no component joins nothing."""
    if rules.within is None or not _names(components):
        return None
    since = now - rules.within
    joinable = [
        incident
        for incident in incidents
        if incident.is_active
        and incident.created_at >= since
        and rules.about_the_same(
            components, incident.components, related=not by_a_person(incident.created_by)
        )
    ]
    return min(joinable, key=lambda i: (i.created_at, i.id), default=None)
