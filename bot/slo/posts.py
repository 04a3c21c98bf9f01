"""The posts the outbox owes about SLOs: the digest and the status-change notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.outbox.model import Post, PostKind
from bot.slo.budget import SloStatus
from bot.slo.evaluation import SloResult


@dataclass(frozen=True, kw_only=True)
class SloDigest(Post):
    """The digest decided at ``at``: every SLO as of then, drawn when it is delivered."""

    kind = PostKind.SLO_DIGEST
    at: datetime


@dataclass(frozen=True, kw_only=True)
class SloStatusNotice(Post):
    """An SLO's status changed from ``previous``: the SLO as seen when that was decided.

    The first status seen is kept as a decision with no ``previous`` (nothing to compare it
    with), never posted."""

    kind = PostKind.SLO_STATUS
    result: SloResult
    previous: SloStatus | None = None


SLO_POSTS = (SloDigest, SloStatusNotice)
