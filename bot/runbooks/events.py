"""The engine's vocabulary: events (what happened) and commands (what to do next).

All are frozen dataclasses of plain values, so a decision can be logged, compared in a
test, or handed to another process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.incidents.model import Severity
from bot.runbooks.model import Run, RunState
from bot.runbooks.steps import Audience

# -- events: what happened ------------------------------------------------------------------


class StepResult(StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNKNOWN = "unknown"  # an admin call that may or may not have taken effect
    UNREADABLE = "unreadable"  # a check that could not be evaluated: never a pass


class Need(StrEnum):
    """Whether a run is needed, by its runbook's ``not_needed_when`` checks."""

    NEEDED = "needed"  # one check does not hold: the steps run
    NOT_NEEDED = "not_needed"  # every check holds: the effect is already in place
    UNKNOWN = "unknown"  # a check could not be read: the steps run and check for themselves


@dataclass(frozen=True)
class Start:
    """A requested run begins."""


@dataclass(frozen=True)
class StepStarted:
    """An action's exact call is about to be sent; persisted before it is."""

    index: int
    call: dict[str, Any]


@dataclass(frozen=True)
class StepFinished:
    index: int
    result: StepResult
    detail: str
    outputs: Mapping[str, Any] = field(default_factory=dict)
    call: dict[str, Any] | None = None  # a dry run's planned call
    answer: Any = None  # the serving process's whole answer to a change, kept on the step


@dataclass(frozen=True)
class NeedChecked:
    """What the ``not_needed_when`` checks found, before the first step; ``detail`` says it
    in a person's words ("qwen's breaker is open and creative is served by balanced")."""

    need: Need
    detail: str


@dataclass(frozen=True)
class Approved:
    index: int
    actor: str


@dataclass(frozen=True)
class Denied:
    index: int
    actor: str
    reason: str = ""


@dataclass(frozen=True)
class Expired:
    """Nobody approved within the step's TTL."""

    index: int


@dataclass(frozen=True)
class Cancelled:
    actor: str
    reason: str = ""


@dataclass(frozen=True)
class Restarted:
    """The process restarted while the run was requested or running."""


@dataclass(frozen=True)
class Resumed:
    """A person looked at a step whose outcome was unknown: ``applied`` or retry it."""

    actor: str
    applied: bool


Event = (
    Start
    | StepStarted
    | StepFinished
    | NeedChecked
    | Approved
    | Denied
    | Expired
    | Cancelled
    | Restarted
    | Resumed
)

# -- commands: what the executor must do next ---------------------------------------------------


@dataclass(frozen=True)
class CheckNeed:
    """Read the runbook's ``not_needed_when`` checks: is its effect already in place?"""


@dataclass(frozen=True)
class ExecuteStep:
    """Run a check or an action (a dry run plans the action without sending it)."""

    index: int


@dataclass(frozen=True)
class RequestApproval:
    index: int
    prompt: str
    expires_at: datetime


@dataclass(frozen=True)
class Notify:
    index: int
    audience: Audience
    text: str


@dataclass(frozen=True)
class OpenIncident:
    index: int
    title: str
    severity: Severity
    description: str
    components: tuple[str, ...]


@dataclass(frozen=True)
class Finish:
    state: RunState
    note: str


Command = CheckNeed | ExecuteStep | RequestApproval | Notify | OpenIncident | Finish
StepWork = CheckNeed | ExecuteStep | Notify | OpenIncident
"""The commands the runs job carries out (the others are done by the commit that decided them)."""


@dataclass(frozen=True)
class Decision:
    run: Run
    commands: tuple[Command, ...]
