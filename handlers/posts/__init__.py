"""Every post the outbox owes, rendered and sent by its area's renderer.

``Renderers.send`` matches the post on its dataclass: a kind added to ``bot.posts.AnyPost``
without a case here fails type checking (``assert_never``).
"""

from __future__ import annotations

from typing import assert_never

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
from bot.outbox import MessageRef, NothingToSend, OwedPost
from bot.posts import AnyPost
from bot.runbooks.posts import (
    Drill,
    Recovery,
    RecoveryRestore,
    RunApproval,
    RunMessage,
    RunNotice,
    RunUpdate,
)
from bot.slo.posts import SloDigest, SloStatusNotice
from handlers.posts.incidents import IncidentPosts
from handlers.posts.oncall import OncallPosts
from handlers.posts.runbooks import RunbookPosts
from handlers.posts.slo import SloPosts


class Renderers:
    """One renderer per area; ``send`` is the one table of which renders what."""

    def __init__(
        self,
        *,
        incidents: IncidentPosts,
        oncall: OncallPosts,
        slo: SloPosts,
        runbooks: RunbookPosts,
    ) -> None:
        self._incidents = incidents
        self._oncall = oncall
        self._slo = slo
        self._runbooks = runbooks

    async def send(self, owed: OwedPost, post: AnyPost) -> MessageRef | None:
        match post:
            case IncidentCard():
                return await self._incidents.card(owed, post)
            case IncidentCardLate():
                return await self._incidents.card_late(owed, post)
            case IncidentCardUpdate():
                return await self._incidents.card_update(owed, post)
            case IncidentCreatedReply():
                await self._incidents.created_reply(owed, post)
                return None
            case AlertsReply():
                return await self._incidents.alerts_reply(owed, post)
            case PostmortemDraft():
                return await self._incidents.postmortem_draft(owed, post)
            case Reminder():
                return await self._incidents.reminder(owed, post)
            case Escalation():
                return await self._incidents.escalation(owed, post)
            case ChaseOutcome():
                return await self._incidents.chase_outcome(owed, post)
            case PostmortemNudge():
                return await self._incidents.postmortem_nudge(owed, post)
            case IncidentNews():
                return await self._incidents.news(owed, post)
            case Handoff():
                return await self._oncall.handoff(owed, post)
            case HandoffUpdate():
                return await self._oncall.handoff_update(owed, post)
            case HandoffReminder():
                return await self._oncall.handoff_reminder(owed, post)
            case HandoffConfirmed():
                raise NothingToSend("a confirmation is a decision, never posted")
            case OncallProblem():
                return await self._oncall.problem(owed, post)
            case OverrideNotice():
                return await self._oncall.override(owed, post)
            case SloDigest():
                return await self._slo.digest(owed, post)
            case SloStatusNotice():
                return await self._slo.status(owed, post)
            case RunMessage():
                return await self._runbooks.run_message(owed, post)
            case RunUpdate():
                return await self._runbooks.run_update(owed, post)
            case RunApproval():
                return await self._runbooks.approval(owed, post)
            case RunNotice():
                return await self._runbooks.notice(owed, post)
            case Recovery():
                return await self._runbooks.recovery(owed, post)
            case RecoveryRestore():
                return await self._runbooks.recovery_restore(owed, post)
            case Drill():
                return await self._runbooks.drill(owed, post)
            case _:
                assert_never(post)
