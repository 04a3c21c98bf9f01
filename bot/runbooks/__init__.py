"""Runbooks (docs/guide.md#runbooks): definitions as data, a pure engine, an executor and runs.

Start here: ``bot.runbooks.service.RunbookService`` (what handlers, the CLI and the
scheduler call), ``bot.runbooks.notifier.RunNotifier`` (what the Slack layer implements),
``load_definitions`` (sre.yaml's own). The package itself offers only the data (definitions,
runs, errors), so reading sre.yaml's runbooks does not load the executor and its HTTP client.
"""

from bot.runbooks.definitions import DefinitionError, RunbookDefinition, load_definitions
from bot.runbooks.errors import (
    AlreadyDecided,
    ApprovalExpired,
    NoApprover,
    NotAnApprover,
    NotWaitingForApproval,
    RunAlreadyActive,
    RunFinished,
    SelfApprovalForbidden,
    UnknownRun,
    UnknownRunbook,
)
from bot.runbooks.model import ACTIVE, TERMINAL, Run, RunState, StepRecord, StepState
from bot.runbooks.steps import Audience

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "AlreadyDecided",
    "ApprovalExpired",
    "Audience",
    "DefinitionError",
    "NoApprover",
    "NotAnApprover",
    "NotWaitingForApproval",
    "Run",
    "RunAlreadyActive",
    "RunFinished",
    "RunState",
    "RunbookDefinition",
    "SelfApprovalForbidden",
    "StepRecord",
    "StepState",
    "UnknownRun",
    "UnknownRunbook",
    "load_definitions",
]
