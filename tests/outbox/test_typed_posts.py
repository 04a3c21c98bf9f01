"""Every kind of post is a dataclass that survives the outbox: stored as its facts, read
back as itself; a kind added without its class, its example here or its renderer fails."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from bot.incidents.model import AlertLine, Incident, IncidentStatus, Severity, TimelineEntry
from bot.incidents.posts import (
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
    Handoff,
    HandoffConfirmed,
    HandoffReminder,
    HandoffUpdate,
    OncallProblem,
    OverrideNotice,
)
from bot.outbox import OwedPost, Post, PostKind
from bot.outbox.owing import facts
from bot.posts import KINDS, AnyPost, UnreadablePost, read
from bot.runbooks.posts import (
    Drill,
    Recovery,
    RecoveryRestore,
    RunApproval,
    RunMessage,
    RunNotice,
    RunUpdate,
)
from bot.runbooks.steps import Audience
from bot.slo.budget import SloStatus
from bot.slo.evaluation import SloResult
from bot.slo.posts import SloDigest, SloStatusNotice
from handlers.posts import Renderers

AT = datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
INCIDENT = Incident(
    id="INC-20261207-001",
    title="Checkout answers 502",
    severity=Severity.SEV2,
    status=IncidentStatus.OPEN,
    created_at=AT,
    created_by="U0AAA",
    components=["api"],
    timeline=[TimelineEntry(at=AT, actor="U0AAA", action="created", note="declared")],
)
ENVELOPE = {"key": "k:1", "subject": "INC-20261207-001", "channel": "C0X", "thread_key": "card:1"}
RESULT = SloResult(
    name="api-availability",
    title="API availability",
    kind="events",
    objective=99.5,
    window="30d",
    status=SloStatus.WARNING,
    evaluated_at=AT,
    budget_left_pct=12.5,
    budget_used_pct=87.5,
)
LINE = AlertLine(name="QwenModelUnhealthy", summary="Qwen failed", severity="sev2", where="q:1")

EXAMPLES: dict[PostKind, Post] = {
    post.kind: post
    for post in [
        IncidentCard(**ENVELOPE, incident=INCIDENT),
        IncidentCardLate(
            **ENVELOPE, incident=INCIDENT, reason="not_in_channel", moved_to="C0INCIDENTS"
        ),
        IncidentCardUpdate(**ENVELOPE, incident=INCIDENT),
        IncidentCreatedReply(**ENVELOPE, incident=INCIDENT, user="U0AAA", response_url="http://x"),
        AlertsReply(**ENVELOPE, fired=(LINE,), resolved=(LINE,), more=3, clipped=("summary",)),
        PostmortemDraft(**ENVELOPE, incident=INCIDENT),
        IncidentNews(**ENVELOPE, action="runbook succeeded", note="RUN-1", actor="U0AAA"),
        Reminder(**ENVELOPE, incident=INCIDENT, number=2),
        Escalation(
            **ENVELOPE,
            incident=INCIDENT,
            level=2,
            respond_within=timedelta(minutes=30),
            people=("U0BBB",),
            user_group="S0ONCALL",
            broadcast=True,
        ),
        PostmortemNudge(**ENVELOPE, incident=INCIDENT, days=3),
        Handoff(**ENVELOPE, at=AT, incoming="U0BBB", outgoing="U0AAA", actor="scheduler"),
        HandoffUpdate(**ENVELOPE, at=AT, handoff="handoff:1", confirmed_by="U0BBB"),
        HandoffReminder(**ENVELOPE, outgoing="U0AAA", incoming="U0BBB"),
        HandoffConfirmed(**ENVELOPE, by="U0BBB"),
        OncallProblem(**ENVELOPE, text="Nobody is on call"),
        OverrideNotice(
            **ENVELOPE,
            pool="weekday",
            user="U0CCC",
            until=AT,
            by="U0AAA",
            replaces="U0BBB",
            replaces_override=True,
        ),
        SloDigest(**ENVELOPE, at=AT),
        SloStatusNotice(**ENVELOPE, result=RESULT, previous=SloStatus.HEALTHY),
        RunMessage(**ENVELOPE),
        RunUpdate(**ENVELOPE),
        RunApproval(**ENVELOPE, step="Roll back", approvers=("U0BBB", "U0CCC")),
        RunNotice(**ENVELOPE, audience=Audience.ONCALL, text="creative is on balanced", at=AT),
        Recovery(**ENVELOPE, model="qwen", runbook="qwen_recovery_restore"),
        RecoveryRestore(**ENVELOPE, model="qwen", run_id="RUN-20261014-010000", by="U0BBB"),
        ChaseOutcome(**ENVELOPE, incident=INCIDENT, level=2),
        Drill(**ENVELOPE, reachable=None, lines=("a: ok", "b: refused")),
    ]
}


def _owed(post: Post) -> OwedPost:
    """``post`` as the deliverer leases it: its kind and its stored facts."""
    return OwedPost(
        key=post.key,
        kind=post.kind.value,
        subject=post.subject,
        created_at=AT,
        channel=post.channel,
        facts=facts(post),
        thread_key=post.thread_key,
    )


def test_every_kind_has_one_dataclass_one_example_and_is_a_renderers_case() -> None:
    assert set(KINDS) == set(PostKind)
    assert set(EXAMPLES) == set(PostKind)
    assert set(get_args(AnyPost)) == set(KINDS.values())
    cases = inspect.getsource(Renderers.send)
    missing = [kind.__name__ for kind in KINDS.values() if f"case {kind.__name__}()" not in cases]
    assert missing == []


@pytest.mark.parametrize("kind", list(PostKind), ids=str)
def test_a_post_read_back_from_the_outbox_is_the_post_that_was_owed(kind: PostKind) -> None:
    post = EXAMPLES[kind]
    assert read(_owed(post)) == post


def test_a_stored_post_that_no_longer_fits_its_kind_is_refused_by_name() -> None:
    owed = _owed(EXAMPLES[PostKind.INCIDENT_ESCALATION])
    broken = OwedPost(
        key=owed.key,
        kind=owed.kind,
        subject=owed.subject,
        created_at=AT,
        facts={k: v for k, v in owed.facts.items() if k != "level"},
    )
    with pytest.raises(UnreadablePost, match="level"):
        read(broken)
    with pytest.raises(UnreadablePost, match=r"no\.such"):
        read(OwedPost(key="x", kind="no.such", subject="x", created_at=AT))
