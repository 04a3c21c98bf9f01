"""Runbook errors a person can be shown. Users are named by Slack ID; the Slack layer
renders mentions (``others`` and friends are kept as attributes for it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.errors import InvalidInput, NotAuthorized, SreError, TransitionForbidden


class UnknownRunbook(InvalidInput):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"No runbook named {name!r}. Runbooks: {', '.join(sorted(known))}.")
        self.name = name


class UnknownRun(SreError):
    def __init__(self, run_id: str, *, malformed: bool = False) -> None:
        message = (
            f"{run_id!r} is not a run ID: they look like RUN-20261014-103000."
            if malformed
            else f"No runbook run {run_id} exists."
        )
        super().__init__(message)
        self.run_id = run_id
        self.malformed = malformed


class RunAlreadyActive(SreError):
    """One run per (runbook, target) at a time; the message names the active one."""

    def __init__(self, *, runbook: str, target: str, active_run_id: str) -> None:
        super().__init__(
            f"{runbook} is already running against {target} as {active_run_id}; "
            f"follow it, or cancel it before starting another."
        )
        self.active_run_id = active_run_id


class RunFinished(TransitionForbidden):
    """The run has ended; cancelling, approving or resuming it changes nothing."""

    def __init__(self, *, run_id: str, state: str, at: datetime | None) -> None:
        when = f" at {at:%Y-%m-%d %H:%M} UTC" if at else ""
        super().__init__(f"{run_id} already {state}{when}; nothing changed.")
        self.run_id = run_id


class AlreadyDecided(TransitionForbidden):
    """Someone decided the approval step first (a double click, a second approver)."""

    def __init__(self, *, run_id: str, step: str, decision: str, by: str | None) -> None:
        who = f" by {by}" if by else ""
        super().__init__(f"{run_id}: {step} was already {decision}{who}; nothing changed.")
        self.run_id = run_id
        self.by = by


class NotWaitingForApproval(TransitionForbidden):
    pass


class ApprovalExpired(TransitionForbidden):
    def __init__(self, *, run_id: str, step: str, expired_at: datetime) -> None:
        super().__init__(
            f"{run_id}: {step} expired at {expired_at:%Y-%m-%d %H:%M} UTC with no approval; "
            "the run has ended and nothing was changed. Start it again if it is still needed."
        )
        self.run_id = run_id


class SelfApprovalForbidden(NotAuthorized):
    def __init__(self, *, run_id: str, actor: str, others: Sequence[str]) -> None:
        ask = f"ask another approver: {', '.join(others)}" if others else "no other approver"
        super().__init__(f"{actor} started {run_id} and cannot approve it; {ask}.")
        self.actor = actor
        self.others = list(others)


class NotAnApprover(NotAuthorized):
    def __init__(self, *, actor: str, what: str, approvers: Sequence[str]) -> None:
        listed = ", ".join(approvers) if approvers else "nobody (runbooks.approvers is empty)"
        super().__init__(
            f"{actor} may not {what}: only runbook approvers may (runbooks.approvers in "
            f"sre.yaml: {listed})."
        )
        self.actor = actor
        self.approvers = list(approvers)


class NoApprover(NotAuthorized):
    """A runbook with an approval step, and nobody but the requester could approve it."""

    def __init__(self, *, runbook: str, requester: str, approvers: Sequence[str]) -> None:
        listed = ", ".join(approvers) if approvers else "none"
        super().__init__(
            f"{runbook} needs an approval and nobody other than {requester} could give it "
            f"(runbooks.approvers: {listed}); nothing was started."
        )
