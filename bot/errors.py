"""The errors a person can be shown: each carries a message that is safe to post as it is.

Handlers map every ``SreError`` to an ephemeral reply; anything else is unexpected and
gets a reference id instead (see ``handlers/errors.py``).
"""

from __future__ import annotations

from datetime import datetime


class SreError(Exception):
    """Base of user-safe errors; ``str(error)`` is the message shown to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(SreError):
    """The request could not be understood: a bad argument, an oversized text, an unknown word."""


class UnknownIncident(SreError):
    def __init__(self, incident_id: str) -> None:
        super().__init__(f"No incident {incident_id} exists. `/incident list` shows the open ones.")
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


class NotAuthorized(SreError):
    """The person may not do this (not an approver, not in a rotation, ...)."""


class ConfigurationError(SreError):
    """The operator's configuration is invalid; start-up stops with this message."""
