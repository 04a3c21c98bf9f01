"""The runbook-run domain: run and step states, the run lifecycle as one table, the records.

A run is data the engine advances and storage persists; nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.errors import TransitionForbidden
from bot.runbooks.definitions import RunbookDefinition
from bot.runbooks.steps import StepSpec

RUN_ID = re.compile(r"^RUN-\d{8}-\d{6}(-\d{1,4})?$")


class RunState(StrEnum):
    REQUESTED = "requested"
    RUNNING = "running"
    WAITING_APPROVAL = "waiting_approval"
    NEEDS_ATTENTION = "needs_attention"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NOT_NEEDED = "not_needed"  # the runbook's effect was already in place: nothing was done

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def ended(self) -> str:
        """How a finished run reads after "already": "succeeded", "ended (not needed)"."""
        return f"ended ({self.label})" if self is RunState.NOT_NEEDED else self.label


class RunEvent(StrEnum):
    START = "start"
    STEP = "step"  # a step began or ended and the run goes on
    AWAIT_APPROVAL = "await_approval"
    APPROVE = "approve"
    DENY = "deny"
    EXPIRE = "expire"
    COMPLETE = "complete"
    FAIL = "fail"
    LOSE_OUTCOME = "lose_outcome"  # an admin call's effect is unknown (timeout, crash)
    RESUME = "resume"  # a person decided what happens after an unknown outcome
    CANCEL = "cancel"
    FIND_IN_PLACE = "find_in_place"  # every not_needed_when check holds before the first step


R = RunState
E = RunEvent

# The run lifecycle, whole: (state, event) -> next state. Anything absent is forbidden.
TRANSITIONS: dict[tuple[RunState, RunEvent], RunState] = {
    (R.REQUESTED, E.START): R.RUNNING,
    (R.REQUESTED, E.CANCEL): R.CANCELLED,
    (R.RUNNING, E.STEP): R.RUNNING,
    (R.RUNNING, E.AWAIT_APPROVAL): R.WAITING_APPROVAL,
    (R.RUNNING, E.COMPLETE): R.SUCCEEDED,
    (R.RUNNING, E.FAIL): R.FAILED,
    (R.RUNNING, E.LOSE_OUTCOME): R.NEEDS_ATTENTION,
    (R.RUNNING, E.CANCEL): R.CANCELLED,
    (R.RUNNING, E.FIND_IN_PLACE): R.NOT_NEEDED,
    (R.WAITING_APPROVAL, E.APPROVE): R.RUNNING,
    (R.WAITING_APPROVAL, E.DENY): R.REJECTED,
    (R.WAITING_APPROVAL, E.EXPIRE): R.EXPIRED,
    (R.WAITING_APPROVAL, E.CANCEL): R.CANCELLED,
    (R.NEEDS_ATTENTION, E.RESUME): R.RUNNING,
    (R.NEEDS_ATTENTION, E.CANCEL): R.CANCELLED,
}

# ACTIVE runs hold their (runbook, target) lock: needs_attention too, because the
# target's state is unknown until a person looks.
ACTIVE = frozenset({R.REQUESTED, R.RUNNING, R.WAITING_APPROVAL, R.NEEDS_ATTENTION})
TERMINAL = frozenset({R.SUCCEEDED, R.FAILED, R.REJECTED, R.EXPIRED, R.CANCELLED, R.NOT_NEEDED})


def next_state(current: RunState, event: RunEvent, *, run_id: str) -> RunState:
    """The state after ``event``, or TransitionForbidden naming what is allowed instead."""
    target = TRANSITIONS.get((current, event))
    if target is not None:
        return target
    if current in TERMINAL:
        raise TransitionForbidden(f"{run_id} has already {current.ended}; nothing can change it.")
    allowed = sorted(e.value for (state, e) in TRANSITIONS if state == current)
    raise TransitionForbidden(
        f"{run_id} is {current.label}: cannot {event.value} it (possible: {', '.join(allowed)})."
    )


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING_APPROVAL = "waiting_approval"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_MET = "not_met"  # a check that did not hold where the runbook stops or skips
    UNKNOWN = "unknown"  # an admin call whose effect nobody knows: a person must look
    SKIPPED = "skipped"
    PLANNED = "planned"  # a dry run's step: shown, never done
    DENIED = "denied"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


STEP_DONE = frozenset(set(StepState) - {StepState.PENDING, StepState.RUNNING})


@dataclass
class StepRecord:
    """One step of one run: what happened, when, the exact call and who decided."""

    index: int
    step_id: str
    kind: str
    title: str
    state: StepState = StepState.PENDING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = None
    call: dict[str, Any] | None = None
    detail: str = ""
    decided_by: str | None = None
    answer: Any = None
    """The serving process's answer to this step's change, whole (``detail`` summarises it)."""

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclass
class Run:
    """A runbook run: the serialisable state the engine advances and storage keeps.

    ``definition`` is the runbook as it was when the run started, so editing sre.yaml
    never changes a run that waits for approval. ``values`` holds the run's inputs and
    what its checks found (``stable_checkpoint``, ``replicas``, ...).
    """

    id: str
    runbook: str
    target: str
    requester: str
    state: RunState
    definition: RunbookDefinition
    steps: list[StepRecord]
    created_at: datetime
    updated_at: datetime
    dry_run: bool = False
    incident_id: str | None = None
    origin_channel: str | None = None
    message_channel: str | None = None
    message_ts: str | None = None
    current: int = 0
    values: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    finished_at: datetime | None = None
    version: int = 1

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.state in TERMINAL

    @property
    def current_step(self) -> StepRecord:
        return self.steps[self.current]

    def spec(self, index: int) -> StepSpec:
        return self.definition.steps[index]

    def step(self, step_id: str) -> StepRecord | None:
        return next((s for s in self.steps if s.step_id == step_id), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for scripts (``--json``) and logs."""
        return {
            "id": self.id,
            "runbook": self.runbook,
            "target": self.target,
            "requester": self.requester,
            "state": self.state.value,
            "dry_run": self.dry_run,
            "incident_id": self.incident_id,
            "origin_channel": self.origin_channel,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "note": self.note,
            "values": dict(self.values),
            "steps": [
                {
                    "id": s.step_id,
                    "kind": s.kind,
                    "title": s.title,
                    "state": s.state.value,
                    "started_at": s.started_at.isoformat() if s.started_at else None,
                    "finished_at": s.finished_at.isoformat() if s.finished_at else None,
                    "expires_at": s.expires_at.isoformat() if s.expires_at else None,
                    "call": s.call,
                    "detail": s.detail,
                    "answer": s.answer,
                    "decided_by": s.decided_by,
                }
                for s in self.steps
            ],
        }


def new_steps(definition: RunbookDefinition) -> list[StepRecord]:
    """Every step of a fresh run, pending."""
    return [
        StepRecord(index=i, step_id=spec.id, kind=spec.type, title=spec.title)
        for i, spec in enumerate(definition.steps)
    ]
