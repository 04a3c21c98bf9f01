"""Driving a run: commit each engine decision, then carry out its commands, feeding every
outcome back to the engine, until the run ends or waits for a person.

Only the ``runs`` job drives (``bot/runbooks/job.py``, under the run's lease); a person's
decision or a start commits and ``hand_over``s the step work to it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.clock import Clock
from bot.runbooks.engine import (
    CheckNeed,
    Command,
    Decision,
    Event,
    NeedChecked,
    Notify,
    OpenIncident,
    StepFinished,
    StepResult,
    StepStarted,
    StepWork,
    advance,
)
from bot.runbooks.executor import RunExecutor
from bot.runbooks.model import Run
from bot.runbooks.steps import ActionStep, CheckStep
from bot.runbooks.store import BOT, RunStore


class RunDriver:
    """Moves runs forward: the only place that feeds executor outcomes to the engine."""

    def __init__(
        self,
        *,
        store: RunStore,
        executor: RunExecutor,
        clock: Clock,
        approvers: Sequence[str],
        owed: Callable[[], None] | None = None,
    ) -> None:
        """``owed`` is told when a run's step work was stored for the runs job (its kick)."""
        self._owed = owed
        self._store = store
        self._executor = executor
        self._clock = clock
        self._approvers = list(approvers)

    def others(self, requester: str) -> list[str]:
        """Who may approve a run of ``requester``: every approver but them."""
        return [a for a in self._approvers if a != requester]

    async def commit(
        self,
        before: Run,
        decision: Decision,
        *,
        actor: str,
        action: str,
        decided: tuple[int, str] | None = None,
    ) -> Run | None:
        """Store the decision, with the message and the asks it owes (None if the run moved
        meanwhile)."""
        return await self._store.save(
            before,
            decision,
            actor=actor,
            action=action,
            decided=decided,
            approvers=self.others(before.requester),
        )

    async def advance_and_drive(self, run: Run, event: Event, *, actor: str, action: str) -> Run:
        decision = advance(run, event, now=self._clock.now())
        saved = await self.commit(run, decision, actor=actor, action=action)
        if saved is None:  # someone else moved the run first; theirs is the run now
            return await self._store.get(run.id)
        return await self.drive(saved, decision.commands)

    async def hand_over(self, run: Run, commands: Sequence[Command]) -> Run:
        """After a committed decision (which owed its asks): leave the step work (checks,
        actions, notices) to the runs job, told at once."""
        if self._owed and any(isinstance(c, StepWork) for c in commands):
            self._owed()
        return run

    async def drive(self, run: Run, commands: Sequence[Command]) -> Run:
        """Carry out ``commands`` (committed already) and whatever follows from them; the
        caller (the runs job) holds the run's lease."""
        return await self._drive(run, commands)

    async def _drive(self, run: Run, commands: Sequence[Command]) -> Run:
        pending = list(commands)
        while pending:
            command = pending.pop(0)
            if not isinstance(command, StepWork):
                # An approval was asked and the run's lock released by the commit that
                # decided them.
                continue
            current, event = await self._execute(run, command)
            if current is None or event is None:
                return await self._store.get(run.id)
            decision = advance(current, event, now=self._clock.now())
            saved = await self.commit(current, decision, actor=BOT, action="runbook.step")
            if saved is None:
                if isinstance(event, StepFinished):
                    await self._store.record_late_outcome(current, event)
                return await self._store.get(run.id)
            run, pending = saved, list(decision.commands)
        return run

    async def _execute(
        self, run: Run, command: StepWork
    ) -> tuple[Run | None, StepFinished | NeedChecked | None]:
        """One step's I/O: the run as it stands afterwards and what happened; (None, None)
        when the run changed before an action was sent (then nothing was sent)."""
        if isinstance(command, CheckNeed):
            return run, await self._executor.need(run)
        if isinstance(command, Notify):
            return run, await self._executor.notify(run, command)
        if isinstance(command, OpenIncident):
            return run, await self._executor.open_incident(run, command)
        spec = run.spec(command.index)
        if isinstance(spec, CheckStep):
            return run, await self._executor.check(run, command.index)
        assert isinstance(spec, ActionStep)
        plan = await self._executor.plan(run, command.index)
        if isinstance(plan, StepFinished):
            return run, plan
        if run.dry_run:
            detail = "dry run: this call was not sent"
            return run, StepFinished(command.index, StepResult.OK, detail, plan.outputs, plan.call)
        # Store the exact call before sending it: after a crash, recover() finds it there
        # and asks a person instead of sending it a second time.
        started = advance(run, StepStarted(command.index, plan.call), now=self._clock.now())
        saved = await self.commit(run, started, actor=BOT, action="runbook.step")
        if saved is None:
            return None, None
        return saved, await self._executor.perform(saved, command.index, plan)
