"""The runbook engine: a pure function from (run, event) to (new run, commands).

It never does I/O. The service persists each new run before it executes the commands
(see ``executor.py``), and feeds what happened back as the next event, so a run can
be stopped between any two steps and picked up from the database.
"""

from __future__ import annotations

import copy
import string
from datetime import datetime
from typing import Any

from bot.durations import format_duration
from bot.errors import TransitionForbidden
from bot.runbooks.events import (
    Approved,
    Cancelled,
    CheckNeed,
    Command,
    Decision,
    Denied,
    Event,
    ExecuteStep,
    Expired,
    Finish,
    Need,
    NeedChecked,
    Notify,
    OpenIncident,
    RequestApproval,
    Restarted,
    Resumed,
    Start,
    StepFinished,
    StepResult,
    StepStarted,
    StepWork,
)
from bot.runbooks.model import Run, RunEvent, RunState, StepRecord, StepState, next_state
from bot.runbooks.steps import (
    ActionStep,
    ApprovalStep,
    CheckStep,
    NotifyStep,
    OnFail,
    OpenIncidentStep,
    StepSpec,
)

__all__ = [
    "Approved",
    "Cancelled",
    "CheckNeed",
    "Command",
    "Decision",
    "Denied",
    "Event",
    "ExecuteStep",
    "Expired",
    "Finish",
    "Need",
    "NeedChecked",
    "Notify",
    "OpenIncident",
    "RequestApproval",
    "Restarted",
    "Resumed",
    "Start",
    "StepFinished",
    "StepResult",
    "StepStarted",
    "StepWork",
    "advance",
    "owed",
    "render",
    "run_values",
]


UNREADABLE = "a check that cannot be read never passes, so the run ends failed"
WOULD_END = "it would end: "
"""A dry run's note, from its not_needed_when checks until it ends: what a real run would do."""

# -- the engine ---------------------------------------------------------------------------------


def advance(run: Run, event: Event, *, now: datetime) -> Decision:
    """The run after ``event`` and the commands that follow; ``run`` itself is not changed.

    Raises TransitionForbidden when the event does not fit the run's state.
    """
    new = copy.deepcopy(run)
    new.updated_at = now
    commands = _apply(new, event, now)
    if new.is_finished:
        new.finished_at = new.finished_at or now
    return Decision(new, tuple(commands))


def owed(run: Run, *, now: datetime) -> tuple[Command, ...] | None:
    """What a stored running run is owed when a worker takes it up: its current step, again
    if a worker was stopped inside it (a read, a message, an incident opened idempotently,
    or an action whose call was not stored yet). None when only ``Restarted`` can say: a
    run never started, or an action whose call may have gone out (a person decides)."""
    if run.state is not RunState.RUNNING:
        return None
    if _deciding_need(run):  # a read: done again, whoever was stopped inside it
        return (CheckNeed(),)
    step = run.current_step
    if step.state is not StepState.RUNNING or step.call is not None:
        return None
    again = copy.deepcopy(run)
    again.steps[step.index].state = StepState.PENDING
    return tuple(_continue(again, step.index, now))


def _apply(run: Run, event: Event, now: datetime) -> list[Command]:
    match event:
        case Start():
            _move(run, RunEvent.START)
            return _first(run, now)
        case NeedChecked():
            return _need_checked(run, event, now)
        case StepStarted(index=index, call=call):
            step = _running(run, index)
            step.call = call
            step.started_at = now
            _move(run, RunEvent.STEP)
            return []
        case StepFinished():
            return _step_finished(run, event, now)
        case Approved(index=index, actor=actor):
            step = _waiting(run, index)
            _move(run, RunEvent.APPROVE)
            _close(step, StepState.SUCCEEDED, now, f"approved by {actor}")
            step.decided_by = actor
            return _continue(run, index + 1, now)
        case Denied(index=index, actor=actor, reason=reason):
            step = _waiting(run, index)
            _move(run, RunEvent.DENY)
            _close(step, StepState.DENIED, now, f"denied by {actor}" + _colon(reason))
            step.decided_by = actor
            return _end(run, now, f"{step.title}: denied by {actor}{_colon(reason)}")
        case Expired(index=index):
            step = _waiting(run, index)
            _move(run, RunEvent.EXPIRE)
            _close(step, StepState.EXPIRED, now, "no approver answered in time")
            return _end(run, now, f"{step.title}: no approver answered in time")
        case Cancelled(actor=actor, reason=reason):
            _move(run, RunEvent.CANCEL)
            for step in run.steps:
                if step.state is StepState.RUNNING and step.call is not None:
                    # Already sent: its outcome is recorded when it comes (see the runner).
                    step.detail = f"in flight when {actor} cancelled the run"
                elif step.state in (StepState.RUNNING, StepState.WAITING_APPROVAL):
                    _close(step, StepState.CANCELLED, now, f"cancelled by {actor}")
            return _end(run, now, f"cancelled by {actor}{_colon(reason)}")
        case Restarted():
            return _restarted(run, now)
        case Resumed(actor=actor, applied=applied):
            step = run.current_step
            _move(run, RunEvent.RESUME)
            step.decided_by = actor
            if applied:
                _close(
                    step,
                    StepState.SUCCEEDED,
                    step.finished_at or now,
                    f"{actor} confirmed it took effect",
                )
                return _continue(run, step.index + 1, now)
            step.state, step.call, step.started_at, step.finished_at = (
                StepState.PENDING,
                None,
                None,
                None,
            )
            step.detail = f"{actor} decided to send it again"
            return _continue(run, step.index, now)
    raise AssertionError(f"unhandled event {event!r}")  # pragma: no cover


def _step_finished(run: Run, event: StepFinished, now: datetime) -> list[Command]:
    step = _running(run, event.index)
    spec = run.spec(event.index)
    run.values.update(event.outputs)
    if isinstance(spec, OpenIncidentStep) and "incident_id" in event.outputs:
        run.incident_id = run.incident_id or str(event.outputs["incident_id"])
    if event.call is not None:
        step.call = event.call
    if event.answer is not None:
        step.answer = event.answer
    if run.dry_run:
        # A check nobody could read fails the dry run too: it proved nothing about the runbook.
        unread = event.result == StepResult.UNREADABLE
        state = StepState.FAILED if unread else StepState.PLANNED
        _close(step, state, now, _dry_run_verdict(spec, event))
        _move(run, RunEvent.STEP)
        return _continue(run, event.index + 1, now)
    if event.result == StepResult.OK:
        _close(step, StepState.SUCCEEDED, now, event.detail)
        _move(run, RunEvent.STEP)
        return _continue(run, event.index + 1, now)
    if event.result == StepResult.UNKNOWN:
        _close(step, StepState.UNKNOWN, now, event.detail)
        _move(run, RunEvent.LOSE_OUTCOME)
        run.note = (
            f"{step.title}: whether it took effect is unknown ({event.detail}). Check the "
            "serving process, then resume the run (it took effect / send it again) or cancel it."
        )
        return []
    on_fail = getattr(spec, "on_fail", OnFail.FAIL)
    if event.result == StepResult.UNREADABLE:
        # Whatever on_fail says: a check nobody could read proves nothing either way.
        _close(step, StepState.FAILED, now, event.detail)
        return _end(run, now, f"{step.title}: {event.detail}; {UNREADABLE}", failed=True)
    if on_fail in (OnFail.FAIL, OnFail.CONTINUE):
        _close(step, StepState.FAILED, now, event.detail)
    else:  # the runbook's own branch: the condition did not hold, which is no failure
        _close(step, StepState.NOT_MET, now, event.detail)
    if on_fail is OnFail.FAIL:
        return _end(run, now, f"{step.title}: {event.detail}", failed=True)
    if on_fail is OnFail.STOP:
        return _end(run, now, f"stopped at {step.title}: {event.detail}; nothing else to do")
    _move(run, RunEvent.STEP)
    if on_fail is OnFail.SKIP_NEXT and event.index + 1 < len(run.steps):
        skipped = run.steps[event.index + 1]
        _close(skipped, StepState.SKIPPED, now, f"skipped: {step.title} did not pass")
    return _continue(run, event.index + 1, now)


def _first(run: Run, now: datetime) -> list[Command]:
    """A started run's first work: its not_needed_when checks, else its first step."""
    if run.definition.not_needed_when:
        return [CheckNeed()]
    return _continue(run, 0, now)


def _deciding_need(run: Run) -> bool:
    """The run reads its not_needed_when checks: running, and no step begun yet."""
    return (
        run.state is RunState.RUNNING
        and bool(run.definition.not_needed_when)
        and all(step.state is StepState.PENDING for step in run.steps)
    )


def _need_checked(run: Run, event: NeedChecked, now: datetime) -> list[Command]:
    if not _deciding_need(run):
        raise TransitionForbidden(f"{run.id} has begun its steps; it is needed.")
    if event.need is not Need.NOT_NEEDED:
        if event.need is Need.UNKNOWN:
            run.note = f"cannot tell whether it is needed ({event.detail}), so it runs"
        _move(run, RunEvent.STEP)
        return _continue(run, 0, now)
    verdict = f"{RunState.NOT_NEEDED.label}: already in place ({event.detail})"
    if run.dry_run:  # the steps are still shown, with what a real run would do instead
        run.note = WOULD_END + verdict
        _move(run, RunEvent.STEP)
        return _continue(run, 0, now)
    _move(run, RunEvent.FIND_IN_PLACE)
    for step in run.steps:
        _close(step, StepState.SKIPPED, now, "")
    run.note = verdict
    return [Finish(run.state, verdict)]


def _dry_run_verdict(spec: StepSpec, event: StepFinished) -> str:
    if isinstance(spec, ActionStep):
        return event.detail
    if event.result == StepResult.OK:
        return f"passes now: {event.detail}"
    if event.result == StepResult.UNREADABLE:
        return f"cannot be read now: {event.detail}; the run would fail here"
    consequence = {
        OnFail.FAIL: "the run would fail here",
        OnFail.STOP: "the run would stop here",
        OnFail.SKIP_NEXT: "the next step would be skipped",
        OnFail.CONTINUE: "the run would go on and end failed",
    }[getattr(spec, "on_fail", OnFail.FAIL)]
    return f"does not pass now: {event.detail}; {consequence}"


def _continue(run: Run, start: int, now: datetime) -> list[Command]:
    """Dispatch the next pending step from ``start``, or finish the run."""
    for index in range(start, len(run.steps)):
        step, spec = run.steps[index], run.spec(index)
        if step.state is not StepState.PENDING:
            continue
        run.current = index
        if isinstance(spec, ApprovalStep):
            prompt = render(spec.prompt or spec.title, run)
            if run.dry_run:
                _close(step, StepState.PLANNED, now, f"would wait up to {_ttl(spec)} for: {prompt}")
                continue
            step.state, step.started_at = StepState.WAITING_APPROVAL, now
            step.expires_at = now + spec.ttl
            step.detail = prompt
            _move(run, RunEvent.AWAIT_APPROVAL)
            run.note = f"waiting for approval: {step.title}"
            return [RequestApproval(index, prompt, step.expires_at)]
        if isinstance(spec, OpenIncidentStep) and run.incident_id:
            state = StepState.PLANNED if run.dry_run else StepState.SUCCEEDED
            _close(step, state, now, f"linked to {run.incident_id}, which the run started from")
            continue
        if isinstance(spec, NotifyStep):
            text = render(spec.text, run)
            if run.dry_run:
                _close(step, StepState.PLANNED, now, f"would tell {spec.to.value}: {text}")
                continue
            _begin(run, step, now)
            return [Notify(index, spec.to, text)]
        if isinstance(spec, OpenIncidentStep):
            incident = spec.incident
            title = render(incident.title, run)
            if run.dry_run:
                label = incident.severity.label
                _close(step, StepState.PLANNED, now, f"would open a {label} incident: {title}")
                continue
            _begin(run, step, now)
            return [
                OpenIncident(
                    index,
                    title,
                    incident.severity,
                    render(incident.description, run),
                    tuple(incident.components),
                )
            ]
        assert isinstance(spec, CheckStep | ActionStep)
        _begin(run, step, now)
        return [ExecuteStep(index)]
    failed = [s for s in run.steps if s.state is StepState.FAILED and _counts_as_failure(run, s)]
    if failed and run.dry_run:
        note = f"dry run: nothing was changed; {failed[0].title}: {failed[0].detail}"
        return _end(run, now, note + _would_end(run), failed=True)
    if failed:
        return _end(
            run, now, f"finished, but {failed[0].title} failed: {failed[0].detail}", failed=True
        )
    run.note = _dry_run_note(run) if run.dry_run else "all steps done"
    _move(run, RunEvent.COMPLETE)
    return [Finish(run.state, run.note)]


def _restarted(run: Run, now: datetime) -> list[Command]:
    if run.state is RunState.REQUESTED:
        _move(run, RunEvent.START)
        return _first(run, now)
    if _deciding_need(run):
        _move(run, RunEvent.STEP)
        return [CheckNeed()]
    step = run.current_step
    if step.state is StepState.RUNNING and run.spec(step.index).type == "action" and step.call:
        return _step_finished(
            run,
            StepFinished(
                step.index, StepResult.UNKNOWN, "the bot restarted while it was being sent"
            ),
            now,
        )
    _move(run, RunEvent.STEP)
    if step.state is StepState.RUNNING:  # a read, a message or an idempotent incident: redo it
        step.state, step.started_at = StepState.PENDING, None
    return _continue(run, step.index, now)


def _end(run: Run, now: datetime, note: str, *, failed: bool = False) -> list[Command]:
    """Finish the run: every step not yet done is skipped."""
    if failed:
        _move(run, RunEvent.FAIL)
    elif run.state is RunState.RUNNING:
        _move(run, RunEvent.COMPLETE)
    for step in run.steps:
        if step.state is StepState.PENDING:
            _close(step, StepState.SKIPPED, now, "")
    run.note = note
    return [Finish(run.state, note)]


def _dry_run_note(run: Run) -> str:
    shown = " ".join(step.detail for step in run.steps)
    if DRY_RUN_VALUE[0] in shown:
        return (
            "dry run: nothing was changed; ⟨name⟩ is a value an earlier step finds when the "
            "run is real" + _would_end(run)
        )
    return "dry run: nothing was changed" + _would_end(run)


def _would_end(run: Run) -> str:
    """A dry run's word on its not_needed_when checks, kept in its note while it went on."""
    if not run.note.startswith(WOULD_END):
        return ""
    return f"; {run.note}, before its first step (the steps above are what it does when needed)"


def _counts_as_failure(run: Run, step: StepRecord) -> bool:
    if run.dry_run:  # only an unreadable check leaves a dry run's step failed
        return True
    return getattr(run.spec(step.index), "on_fail", OnFail.FAIL) in (OnFail.FAIL, OnFail.CONTINUE)


def _move(run: Run, event: RunEvent) -> None:
    run.state = next_state(run.state, event, run_id=run.id)


def _begin(run: Run, step: StepRecord, now: datetime) -> None:
    step.state, step.started_at = StepState.RUNNING, now
    _move(run, RunEvent.STEP)


def _close(step: StepRecord, state: StepState, now: datetime, detail: str) -> None:
    step.state, step.finished_at, step.detail = state, now, detail


def _running(run: Run, index: int) -> StepRecord:
    if run.state is not RunState.RUNNING or index != run.current:
        raise TransitionForbidden(f"{run.id} is not running step {index + 1}; nothing changed.")
    step = run.steps[index]
    if step.state is not StepState.RUNNING:
        raise TransitionForbidden(f"{run.id}: {step.title} is {step.state.value}, not running.")
    return step


def _waiting(run: Run, index: int) -> StepRecord:
    step = run.steps[index]
    if run.state is not RunState.WAITING_APPROVAL or index != run.current:
        raise TransitionForbidden(f"{run.id}: {step.title} is not waiting for approval.")
    return step


def _colon(reason: str) -> str:
    return f": {reason}" if reason else ""


def _ttl(spec: ApprovalStep) -> str:
    return format_duration(spec.ttl)


STARTED_BY = "started_by"
"""The run value that says what started the run, in a person's words (``StartedBy.words``)."""
DRY_RUN_VALUE = "⟨{}⟩"  # in a dry run: a value an earlier step finds when the run is real


class _Values(dict[str, Any]):
    def __init__(self, values: dict[str, Any], *, dry_run: bool) -> None:
        super().__init__(values)
        self._dry_run = dry_run

    def __missing__(self, key: str) -> str:
        return DRY_RUN_VALUE.format(key) if self._dry_run else f"({key} not known)"


def run_values(run: Run) -> dict[str, Any]:
    """What ``{name}`` can refer to in this run: built-ins, inputs, what checks found."""
    return {
        **run.values,
        "run_id": run.id,
        "runbook": run.runbook,
        "target": run.target,
        "requester": run.requester,
        "started_by": run.values.get(STARTED_BY) or run.requester,
        "incident_id": run.incident_id or run.values.get("incident_id") or "(none)",
    }


def render(text: str, run: Run) -> str:
    """``text`` with ``{name}`` filled in; a value not known yet is shown as such."""
    try:
        return string.Formatter().vformat(text, (), _Values(run_values(run), dry_run=run.dry_run))
    except (ValueError, TypeError):  # a format spec that does not fit a missing value
        return text
