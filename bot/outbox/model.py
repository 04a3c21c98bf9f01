"""What the outbox holds, as the domain sees it, and what a sender must do with it.

A post is decided as one of the frozen dataclasses below (one per ``PostKind``, each in its
area's ``posts.py``), stored as its kind and its facts, and read back as the same dataclass
by the sender: ``bot/posts.py`` knows every kind's class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol


class PostKind(StrEnum):
    """Every kind of post the bot owes Slack, stored as its value."""

    INCIDENT_CARD = "incident.card"
    INCIDENT_CARD_UPDATE = "incident.card-update"
    INCIDENT_CREATED_REPLY = "incident.created-reply"
    INCIDENT_ALERTS_REPLY = "incident.alerts-reply"
    INCIDENT_POSTMORTEM_DRAFT = "incident.postmortem-draft"
    INCIDENT_REMINDER = "incident.reminder"
    INCIDENT_ESCALATION = "incident.escalation"
    INCIDENT_POSTMORTEM_NUDGE = "incident.postmortem-nudge"
    INCIDENT_NEWS = "incident.news"
    ONCALL_HANDOFF = "oncall.handoff"
    ONCALL_HANDOFF_UPDATE = "oncall.handoff-update"
    ONCALL_HANDOFF_REMINDER = "oncall.handoff-reminder"
    ONCALL_PROBLEM = "oncall.problem"
    ONCALL_OVERRIDE = "oncall.override"
    SLO_DIGEST = "slo.digest"
    SLO_STATUS = "slo.status"
    RUNBOOK_RECOVERY = "runbook.recovery"
    RUNBOOK_DRILL = "runbook.drill"
    RUN_MESSAGE = "run.message"
    RUN_UPDATE = "run.update"
    RUN_APPROVAL = "run.approval"
    RUN_NOTICE = "run.notice"
    INCIDENT_CARD_LATE = "incident.card-late"
    INCIDENT_CHASE_OUTCOME = "incident.chase-outcome"
    RUNBOOK_RECOVERY_RESTORE = "runbook.recovery-restore"
    ONCALL_HANDOFF_CONFIRMED = "oncall.handoff-confirmed"
    """A decision only (``bot.outbox.owing.record``): who confirmed a handoff, never posted."""


@dataclass(frozen=True, kw_only=True)
class Post:
    """What every owed post carries besides its facts.

    ``key`` makes it once; ``subject`` orders it among posts about the same thing;
    ``channel`` is where it goes when it is not a reply; ``thread_key`` names the post it
    replies under (or updates), which goes first.
    """

    kind: ClassVar[PostKind]
    new_message: ClassVar[bool] = True
    """Posted as a message of its own, found again by its key after an unrecorded attempt;
    False for edits (idempotent) and answers nobody can look up (ephemeral)."""

    key: str
    subject: str
    channel: str | None = None
    thread_key: str | None = None


ENVELOPE = frozenset({"key", "subject", "channel", "thread_key"})
"""A post's fields stored as columns; the rest are its facts."""


@dataclass(frozen=True)
class Refusal:
    """Slack would not let the bot post in ``channel``: ``reason`` is its error
    (``not_in_channel``, ``is_archived``, ``channel_not_found``), one a person can fix."""

    channel: str
    reason: str


@dataclass(frozen=True)
class MessageRef:
    """Where a message lives in Slack, so it can be updated in place or replied under.

    ``refused``: the post went here because its own channel refused it (a fallback).
    """

    channel_id: str
    ts: str
    refused: Refusal | None = field(default=None, compare=False)


@dataclass(frozen=True)
class OwedPost:
    """One post as the deliverer leased it: ``kind`` and ``facts`` are what ``bot/posts.py``
    reads back into the post's own dataclass.

    ``thread`` is the message it replies under (or updates), known once that one is out.
    ``attempts`` counts the deliveries begun, this one included: above one, an earlier
    attempt may have reached Slack without being recorded.
    """

    key: str
    kind: str
    subject: str
    created_at: datetime
    channel: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    thread_key: str | None = None
    thread: MessageRef | None = None
    attempts: int = 1
    generation: int = 0
    refused: Refusal | None = None
    """The post this one replies under was refused everywhere (``ChannelClosed``): this one
    goes without its thread, to say so."""

    @property
    def retried(self) -> bool:
        return self.attempts > 1


class Undeliverable(Exception):
    """Slack refused the post for good (no such channel, invalid blocks): do not retry."""


class ChannelClosed(Undeliverable):
    """Slack refused the post because of its channel (the bot is not in it, it is archived
    or gone), and had nowhere else to put it: a person can fix that, so it is retried
    slowly (``bot.outbox.deliverer.refused_retry``) rather than given up on."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"{refusal.reason} in {refusal.channel}")
        self.refusal = refusal


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
