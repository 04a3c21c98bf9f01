"""How runbook runs reach people; Slack implements it in ``handlers/`` (no Slack here).

Every method is called after the change it reports is committed, and a failure to
notify never fails the run (the service logs it and goes on).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.outbox import MessageRef
from bot.runbooks.model import Run, StepRecord
from bot.runbooks.steps import Audience


class RunNotifier(Protocol):
    async def run_changed(self, run: Run) -> MessageRef | None:
        """Show the run's one message: post it when ``run.message_ts`` is None (return
        where it went), otherwise update it in place with each step's state and timing."""
        ...

    async def approval_requested(
        self, run: Run, step: StepRecord, approvers: Sequence[str]
    ) -> None:
        """Ask ``approvers`` (user IDs, the requester excluded) to approve or deny ``step``;
        the Approve/Deny buttons carry ``run.id`` and ``step.step_id``."""
        ...

    async def notify(self, run: Run, *, audience: Audience, text: str) -> None:
        """A notify step: tell the on-call engineer, or the run's thread."""
        ...


class SilentRunNotifier:
    """Used where Slack is not configured (the CLI, dry runs from a shell)."""

    async def run_changed(self, run: Run) -> MessageRef | None:
        return None

    async def approval_requested(
        self, run: Run, step: StepRecord, approvers: Sequence[str]
    ) -> None:
        return None

    async def notify(self, run: Run, *, audience: Audience, text: str) -> None:
        return None
