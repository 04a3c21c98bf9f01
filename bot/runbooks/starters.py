"""What started a run, in a person's words: the ``{started_by}`` its texts may say.

A page must name the signal that started the run ("the alert QwenModelUnhealthy"), not
claim the health probes found it when an alert did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

HEALTH_PROBE = "health-probe"
"""The requester of the runs the bot's own health probes and drills start."""
ALERTMANAGER = "alertmanager"
"""The requester of the runs an alert starts (``bot.alerts.intake.ACTOR``)."""


class Starter(StrEnum):
    PERSON = "person"
    HEALTH_PROBE = "health_probe"
    ALERT = "alert"
    DRILL = "drill"


@dataclass(frozen=True)
class StartedBy:
    """Who or what started a run; ``alerts`` names the alerts that did, when known."""

    kind: Starter
    requester: str
    alerts: tuple[str, ...] = ()

    @classmethod
    def of(cls, requester: str, *, alerts: Sequence[str] = ()) -> StartedBy:
        """Told by the requester alone: the probes', Alertmanager's, or a person's."""
        if requester == HEALTH_PROBE:
            return cls(Starter.HEALTH_PROBE, requester)
        if requester == ALERTMANAGER:
            return cls(Starter.ALERT, requester, tuple(alerts))
        return cls(Starter.PERSON, requester)

    @classmethod
    def drill(cls) -> StartedBy:
        return cls(Starter.DRILL, HEALTH_PROBE)

    @property
    def words(self) -> str:
        """What a text says started the run: the bot's health probes, the alert
        QwenModelUnhealthy, or the person's ID (Slack shows it as a mention, the shell as a
        name)."""
        match self.kind:
            case Starter.HEALTH_PROBE:
                return "the bot's health probes"
            case Starter.DRILL:
                return "the monthly runbook drill"
            case Starter.ALERT if len(self.alerts) == 1:
                return f"the alert {self.alerts[0]}"
            case Starter.ALERT if self.alerts:
                return f"the alerts {', '.join(self.alerts)}"
            case Starter.ALERT:
                return "an Alertmanager alert"
        return self.requester
