"""The errors a person can be shown: each carries a message that is safe to post as it is.

Handlers map every ``SreError`` to an ephemeral reply; anything else is unexpected and
gets a reference id instead (see ``handlers/errors.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import ENGLISH, N_, Words

HINT = "{hint}"
"""Where a message shows its hint; only this marker is replaced, so braces elsewhere are safe."""


@dataclass(frozen=True)
class Hint:
    """A command the person could type next, in no door's syntax: each door spells it its
    own way (Slack ``/incident resolve INC-1 <what fixed it>``, a shell
    ``python -m bot incident resolve INC-1 "<what fixed it>"``). ``<words>`` are for the
    person to fill in."""

    area: str
    verb: str
    args: tuple[str, ...] = ()


Spelling = Callable[[Hint], str]


def slash_command(hint: Hint) -> str:
    """The Slack spelling, the default: ``/incident resolve INC-1 <what fixed it>``."""
    return " ".join((f"/{hint.area}", hint.verb, *hint.args))


class SreError(Exception):
    """Base of user-safe errors; ``message`` is the text shown to a person in Slack.

    A ``hint`` names the command to try next; the message marks its place with ``{hint}``
    and ``render`` spells it for the door the person used. A message from the catalogue
    (marked ``N_``) keeps its ``values`` apart, ``{name}`` in the text, so ``render`` can
    say it in the reader's language; ``message`` is the English.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: Hint | None = None,
        values: Mapping[str, str] | None = None,
    ) -> None:
        self.template = message
        self.hint = hint
        self.values = dict(values or {})
        self.message = self.render(slash_command)
        super().__init__(self.message)

    def render(self, spelling: Spelling, *, words: Words = ENGLISH) -> str:
        """The message in ``words``' language, with its hint spelled for one door. Only the
        ``{name}`` places of its values are filled, so braces elsewhere are safe."""
        # gettext("") is the catalogue's header, never a message.
        text = words.gettext(self.template) if self.template else ""
        for name, value in self.values.items():
            text = text.replace("{" + name + "}", value)
        if self.hint is None:
            return text
        return text.replace(HINT, spelling(self.hint))


class InvalidInput(SreError):
    """The request could not be understood: a bad argument, an oversized text, an unknown word."""


class UnknownIncident(SreError):
    def __init__(self, incident_id: str) -> None:
        super().__init__(
            N_("No incident {incident_id} exists. `{hint}` shows the open ones."),
            hint=Hint("incident", "list"),
            values={"incident_id": incident_id},
        )
        self.incident_id = incident_id


class TransitionForbidden(SreError):
    """The lifecycle does not allow this change from the incident's current state."""


class AlreadyAcknowledged(SreError):
    """Someone acknowledged the incident first; the click or command changed nothing."""

    def __init__(self, *, incident_id: str, by: str, at: datetime) -> None:
        super().__init__(
            f"{incident_id} was already acknowledged by {by} at {at:%Y-%m-%d %H:%M} UTC; "
            "nothing changed."
        )
        self.incident_id = incident_id
        self.by = by
        self.at = at


class AlreadyRestored(SreError):
    """A recovery notice's restore was started already; a second press changed nothing."""

    def __init__(self, *, model: str, run_id: str, by: str) -> None:
        super().__init__(
            f"{model}'s restore was already started by {by} as {run_id}; its message shows "
            "where it stands. Nothing changed."
        )
        self.model = model
        self.run_id = run_id
        self.by = by


class NotAuthorized(SreError):
    """The person may not do this (not an approver, not in a rotation, ...)."""


class NoVerdict(SreError):
    """A question nobody could answer: its source (Prometheus, the serving process) is silent."""


class ConfigurationError(SreError):
    """The operator's configuration is invalid; start-up stops with this message."""
