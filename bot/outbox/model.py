"""What the outbox holds, as the domain sees it, and what a sender must do with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class MessageRef:
    """Where a message lives in Slack, so it can be updated in place or replied under."""

    channel_id: str
    ts: str


@dataclass(frozen=True)
class OwedPost:
    """One post the bot owes: ``kind`` says what to render, ``detail`` with what.

    ``channel`` is where it goes when it is not a reply; ``thread`` is the message it
    replies under (or updates), known once that one is out. ``attempts`` counts the
    deliveries begun, this one included: above one, an earlier attempt may have reached
    Slack without being recorded.
    """

    key: str
    kind: str
    subject: str
    created_at: datetime
    channel: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    thread: MessageRef | None = None
    attempts: int = 1
    generation: int = 0

    @property
    def retried(self) -> bool:
        return self.attempts > 1


class Undeliverable(Exception):
    """Slack refused the post for good (no such channel, invalid blocks): do not retry."""


class NothingToSend(Exception):
    """The post is no longer owed (the incident was acknowledged meanwhile, say)."""


class Sender(Protocol):
    """Sends owed posts to Slack; implemented in ``handlers/``.

    ``send`` raises ``NothingToSend`` when the post no longer applies, ``Undeliverable``
    when Slack refused it for good, anything else for a failure worth retrying. ``find``
    looks for a post sent by an attempt that was never recorded (every post carries its
    key in the message metadata); None when it is not there or cannot be looked up.
    """

    async def send(self, post: OwedPost) -> MessageRef | None: ...

    async def find(self, post: OwedPost) -> MessageRef | None: ...
