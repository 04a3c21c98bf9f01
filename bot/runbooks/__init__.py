"""Runbooks (docs/guide.md#runbooks): definitions as data, a pure engine, an executor and runs.

Start here: ``RunbookService`` (what handlers, the CLI and the scheduler call),
``RunNotifier`` (what the Slack layer implements), ``load_definitions`` (sre.yaml's own).
"""

from bot.runbooks.cli_text import definition_lines, run_lines
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
from bot.runbooks.notifier import RunNotifier, SilentRunNotifier
from bot.runbooks.service import RunbookService
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
    "RunNotifier",
    "RunState",
    "RunbookDefinition",
    "RunbookService",
    "SelfApprovalForbidden",
    "SilentRunNotifier",
    "StepRecord",
    "StepState",
    "UnknownRun",
    "UnknownRunbook",
    "definition_lines",
    "load_definitions",
    "run_lines",
]
