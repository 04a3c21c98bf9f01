"""How the incident domain tells the outside world; Slack implements it in ``handlers/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.incidents.model import Incident


@dataclass(frozen=True)
class MessageRef:
    """Where an incident's card lives, so later changes update it in place."""

    channel_id: str
    ts: str


class IncidentNotifier(Protocol):
    async def incident_opened(self, incident: Incident) -> MessageRef | None:
        """Post the incident's card; return where it went (None when nothing was posted)."""
        ...

    async def incident_changed(self, incident: Incident) -> None:
        """Bring the card up to date with ``incident`` (the latest stored state)."""
        ...

    async def postmortem_draft(self, incident: Incident, draft: str) -> None:
        """Post a postmortem draft in the incident's thread."""
        ...


class SilentNotifier:
    """Used where Slack is not configured (the CLI without a token)."""

    async def incident_opened(self, incident: Incident) -> MessageRef | None:
        return None

    async def incident_changed(self, incident: Incident) -> None:
        return None

    async def postmortem_draft(self, incident: Incident, draft: str) -> None:
        return None
