"""What the inbox holds and what storing a request can come to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Protocol


class RequestKind(StrEnum):
    """What Slack sent: each kind is run the same way, and answered the way its kind allows."""

    COMMAND = "command"
    ACTION = "action"
    FORM = "form"
    EVENT = "event"
    OTHER = "other"


@dataclass(frozen=True)
class SlackRequest:
    """One acknowledged request: ``key`` is what makes a replay a replay (the signature, or
    the event's ID, which Slack keeps when it redelivers); ``body`` is its JSON text."""

    key: str
    kind: RequestKind
    body: str


class Stored(Enum):
    """What storing a request came to, and so what its ack says."""

    ACCEPTED = "accepted"
    """In the inbox: it will be run, here or by another process, even after a crash."""
    REPLAY = "replay"
    """Its key was stored before: acknowledged, nothing done."""
    NOT_RECORDED = "not recorded"
    """The database did not take it in time: the sender is told nothing was done, and it
    never will be (a late insert is marked abandoned)."""


@dataclass(frozen=True)
class InboxItem:
    """A stored request being run; ``attempts`` counts the starts, this one included: above
    one, an earlier start may have done part of the work (every handler is safe to run
    twice) and may have answered already."""

    id: int
    key: str
    kind: RequestKind
    body: str
    attempts: int = 1


class RunRequest(Protocol):
    """Runs one stored request to its end (implemented in ``handlers/``: Bolt's listeners).
    It answers its sender itself; an exception is a failure of the run, not of the work."""

    async def __call__(self, item: InboxItem) -> None: ...
