"""How runbook runs reach people; Slack implements it in ``handlers/`` (no Slack here).

The run's message and its approval asks are owed in the transaction that stores the change
they show (``on``), so a crash never keeps a change from its message; ``sent`` is told after
that transaction commits. A notify step's text is owed on its own, once per step, and a
failure to owe it fails that step, never the run's other steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.runbooks.model import Run, StepRecord
from bot.runbooks.steps import Audience
from storage.db import Executor


class RunNotifier(Protocol):
    async def run_changed(self, on: Executor, run: Run) -> None:
        """Owe the run's one message: posted once, then updated in place with each step's
        state and timing."""
        ...

    async def approval_requested(
        self, on: Executor, run: Run, step: StepRecord, approvers: Sequence[str]
    ) -> None:
        """Owe the ask to ``approvers`` (user IDs, the requester excluded) to approve or deny
        ``step``; the Approve/Deny buttons carry ``run.id`` and ``step.step_id``."""
        ...

    def sent(self) -> None:
        """What was owed in a transaction is committed: whoever sends it may go."""
        ...

    async def notify(self, run: Run, *, step: int, audience: Audience, text: str) -> None:
        """A notify step (``step``, its index): tell the on-call engineer, or the run's
        thread; once per step, however often the step is carried out."""
        ...


class SilentRunNotifier:
    """Used where Slack is not configured (the CLI, dry runs from a shell)."""

    async def run_changed(self, on: Executor, run: Run) -> None:
        return None

    async def approval_requested(
        self, on: Executor, run: Run, step: StepRecord, approvers: Sequence[str]
    ) -> None:
        return None

    def sent(self) -> None:
        return None

    async def notify(self, run: Run, *, step: int, audience: Audience, text: str) -> None:
        return None
