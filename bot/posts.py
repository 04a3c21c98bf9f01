"""Every kind of post the bot owes, and its dataclass: where a stored post is read back.

The outbox stores a post as its kind and its facts (``bot.outbox.owing``); the sender reads
it back here into the dataclass it was decided as, then renders it (``handlers/posts``).
"""

from __future__ import annotations

from bot.incidents.posts import (
    INCIDENT_POSTS,
    AlertsReply,
    ChaseOutcome,
    Escalation,
    IncidentCard,
    IncidentCardLate,
    IncidentCardUpdate,
    IncidentCreatedReply,
    IncidentNews,
    PostmortemDraft,
    PostmortemNudge,
    Reminder,
)
from bot.oncall.posts import (
    ONCALL_POSTS,
    Handoff,
    HandoffConfirmed,
    HandoffReminder,
    HandoffUpdate,
    OncallProblem,
    OverrideNotice,
)
from bot.outbox.model import OwedPost, Post, PostKind
from bot.outbox.owing import read_owed
from bot.runbooks.posts import (
    RUNBOOK_POSTS,
    Drill,
    Recovery,
    RecoveryRestore,
    RunApproval,
    RunMessage,
    RunNotice,
    RunUpdate,
)
from bot.slo.posts import SLO_POSTS, SloDigest, SloStatusNotice

AnyPost = (
    IncidentCard
    | IncidentCardLate
    | IncidentCardUpdate
    | IncidentCreatedReply
    | AlertsReply
    | PostmortemDraft
    | Reminder
    | Escalation
    | PostmortemNudge
    | IncidentNews
    | ChaseOutcome
    | Handoff
    | HandoffUpdate
    | HandoffReminder
    | HandoffConfirmed
    | OncallProblem
    | OverrideNotice
    | SloDigest
    | SloStatusNotice
    | RunMessage
    | RunUpdate
    | RunApproval
    | RunNotice
    | Recovery
    | RecoveryRestore
    | Drill
)
"""Every post; a renderer matches on it, and mypy tells when a kind is left out."""

KINDS: dict[PostKind, type[Post]] = {
    kind.kind: kind for kind in (*INCIDENT_POSTS, *ONCALL_POSTS, *SLO_POSTS, *RUNBOOK_POSTS)
}


class UnreadablePost(ValueError):
    """A stored post whose kind or facts no dataclass here fits (written by another
    version): it cannot be rendered, so it is given up on, not retried."""


def kind_of(owed: OwedPost) -> type[Post]:
    """The dataclass ``owed`` was decided as, by its stored kind."""
    try:
        return KINDS[PostKind(owed.kind)]
    except ValueError as exc:
        raise UnreadablePost(f"{owed.key} has a kind no post has: {owed.kind}") from exc


def read(owed: OwedPost) -> AnyPost:
    """``owed`` as the post it was decided as."""
    kind = kind_of(owed)
    try:
        post = read_owed(kind, owed)
    except ValueError as exc:
        raise UnreadablePost(f"{owed.key} ({owed.kind}) cannot be read: {exc}") from exc
    assert isinstance(post, AnyPost)  # every class in KINDS is one of AnyPost
    return post
