"""The posts the outbox owes about on-call: handoffs, their confirmation and reminder, and
problems the on-call channel must hear about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.outbox.model import Post, PostKind


@dataclass(frozen=True, kw_only=True)
class Handoff(Post):
    """The handoff at ``at``: who hands over to whom, decided then. Its message is composed
    when delivered, as of that instant (open incidents, SLOs)."""

    kind = PostKind.ONCALL_HANDOFF
    at: datetime
    incoming: str | None
    outgoing: str | None
    actor: str = "scheduler"


@dataclass(frozen=True, kw_only=True)
class HandoffUpdate(Post):
    """The handoff message brought up to date (confirmed by whom)."""

    kind = PostKind.ONCALL_HANDOFF_UPDATE
    new_message = False
    at: datetime
    handoff: str
    """The handoff post's key."""
    confirmed_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class HandoffReminder(Post):
    """Nobody confirmed the handoff in time: both people are asked again."""

    kind = PostKind.ONCALL_HANDOFF_REMINDER
    outgoing: str | None
    incoming: str | None


@dataclass(frozen=True, kw_only=True)
class HandoffConfirmed(Post):
    """A decision, never posted: ``by`` confirmed the handoff ``subject``."""

    kind = PostKind.ONCALL_HANDOFF_CONFIRMED
    new_message = False
    by: str


@dataclass(frozen=True, kw_only=True)
class OncallProblem(Post):
    """Something the on-call channel must hear about (the user group not updated)."""

    kind = PostKind.ONCALL_PROBLEM
    text: str


@dataclass(frozen=True, kw_only=True)
class OverrideNotice(Post):
    """``user`` covers ``pool`` until ``until``, set by ``by``: the on-call channel hears
    whom it replaces (``replaces``), and whether that was an earlier override of the pool."""

    kind = PostKind.ONCALL_OVERRIDE
    pool: str
    user: str
    until: datetime
    by: str
    replaces: str | None = None
    replaces_override: bool = False


ONCALL_POSTS = (
    Handoff,
    HandoffUpdate,
    HandoffReminder,
    HandoffConfirmed,
    OncallProblem,
    OverrideNotice,
)
