"""Runs in the database: loaded, created under the (runbook, target) lock, and changed only
by conditional commits of engine decisions, each with its audit entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.ids import next_free_id
from bot.incidents.service import IncidentService
from bot.runbooks.definitions import RunbookDefinition
from bot.runbooks.engine import STARTED_BY, Decision, RequestApproval, StepFinished, StepResult
from bot.runbooks.errors import RunAlreadyActive, UnknownRun
from bot.runbooks.model import ACTIVE, RUN_ID, Run, RunState, StepState, new_steps
from bot.runbooks.notifier import RunNotifier
from bot.runbooks.records import run_columns, run_from_rows, run_row, step_columns, step_row
from bot.runbooks.starters import StartedBy
from storage import alerts as alert_repo
from storage import audit
from storage import runbooks as repo
from storage.db import Database

BOT = "artisan-sre"  # the actor of what the bot does on a run's behalf
DRIVEN = (RunState.REQUESTED, RunState.RUNNING)
"""A run in these states is owed driving: its next step is the bot's, not a person's."""
_ATTEMPTS = 50


class RunStore:
    """Reads and writes runs; every write of a state change is conditional on its version."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        notifier: RunNotifier,
        incidents: IncidentService | None = None,
    ) -> None:
        """``notifier`` owes the run's message with every change, in its transaction;
        ``incidents`` hears of a real run linked to an incident starting and ending."""
        self._db = db
        self._clock = clock
        self._notifier = notifier
        self._incidents = incidents

    async def get(self, run_id: str) -> Run:
        candidate = run_id.strip().upper()
        if not RUN_ID.match(candidate):
            raise UnknownRun(run_id, malformed=True)
        async with self._db.transaction() as session:
            row = await repo.get_run(session, candidate)
            if row is None:
                raise UnknownRun(candidate)
            return run_from_rows(row, await repo.steps_of(session, candidate))

    async def list(self, *, active_only: bool, limit: int) -> list[Run]:
        states = [s.value for s in RunState if s in ACTIVE] if active_only else None
        async with self._db.transaction() as session:
            rows = await repo.list_runs(session, states=states, limit=limit)
            return [run_from_rows(r, await repo.steps_of(session, r.id)) for r in rows]

    async def create(
        self,
        *,
        definition: RunbookDefinition,
        target: str,
        requester: str,
        dry_run: bool,
        incident_id: str | None,
        origin_channel: str | None,
        values: dict[str, Any],
        started_by: StartedBy,
    ) -> Run:
        """Insert a requested run with its steps; a real run also takes its target's lock.
        ``values`` are its inputs; what started it is kept beside them (``{started_by}``)."""
        # IDs are RUN-YYYYMMDD-HHMMSS (UTC), "-n" for the n-th of a second. A clash on the
        # ID or on the (runbook, target) lock aborts the insert; the next attempt tells
        # which, so of two simultaneous starts one runs and one names the other.
        for _ in range(_ATTEMPTS):
            now = self._clock.now()
            base = now.strftime("RUN-%Y%m%d-%H%M%S")
            try:
                async with self._db.transaction() as session:
                    if not dry_run:
                        holder = await repo.active_run_id(session, definition.name, target)
                        if holder is not None:
                            raise RunAlreadyActive(
                                runbook=definition.name, target=target, active_run_id=holder
                            )
                    run = Run(
                        id=next_free_id(base, await repo.run_ids_with_prefix(session, base)),
                        runbook=definition.name,
                        target=target,
                        requester=requester,
                        state=RunState.REQUESTED,
                        definition=definition,
                        steps=new_steps(definition),
                        created_at=now,
                        updated_at=now,
                        dry_run=dry_run,
                        incident_id=incident_id,
                        origin_channel=origin_channel,
                        values={**values, STARTED_BY: started_by.words},
                    )
                    session.add(run_row(run))
                    await session.flush()
                    session.add_all([step_row(run.id, step) for step in run.steps])
                    if not dry_run:
                        repo.take_active(
                            session, runbook=run.runbook, target=target, run_id=run.id, at=now
                        )
                    await session.flush()
                    await audit.add_audit(
                        session,
                        at=now,
                        actor=requester,
                        action="runbook.dry_run" if dry_run else "runbook.start",
                        subject=run.id,
                        detail={
                            "runbook": run.runbook,
                            "target": target,
                            "inputs": values,
                            "started_by": started_by.words,
                        },
                    )
                    await self._notifier.run_changed(session, run)
                self._notifier.sent()
                return run
            except IntegrityError:
                continue
        raise RuntimeError("could not allocate a run ID after many attempts")

    async def alerts_of(self, *, incident_id: str) -> tuple[str, ...]:
        """The names of the alerts firing for the incident an alert group opened (or was
        linked to), each once: what an alert's run says started it."""
        async with self._db.transaction() as session:
            rows = await alert_repo.firing_of_incident(session, incident_id)
        return tuple(sorted({row.name for row in rows}))

    async def save(
        self,
        before: Run,
        decision: Decision,
        *,
        actor: str,
        action: str,
        decided: tuple[int, str] | None = None,
        approvers: Sequence[str] = (),
    ) -> Run | None:
        """Commit ``decision.run`` if the run is still at ``before.version``, else None.

        Also: one audit entry per changed step (state, timing, exact call, outcome), the
        lock released when the run ends, the approval decision under its unique key, the
        run's start and end on the timeline of the incident it is linked to, and what the
        change owes: the run's message brought up to date, and ``approvers`` asked for a
        step the decision waits on.
        """
        after = decision.run
        now = after.updated_at
        told = False
        try:
            async with self._db.transaction() as session:
                if not await repo.update_run_if_version(
                    session, before.id, before.version, run_columns(after)
                ):
                    return None
                for old, new in zip(before.steps, after.steps, strict=True):
                    if old != new:
                        await repo.update_step(session, after.id, new.index, step_columns(new))
                        await _audit_step(session, after.id, new.step_id, step_columns(new), now)
                if after.is_finished and not before.is_finished and not after.dry_run:
                    await repo.release_active(session, after.id)
                if decided is not None:
                    index, verdict = decided
                    repo.add_decision(
                        session, run_id=after.id, idx=index, decision=verdict, actor=actor, at=now
                    )
                if action != "runbook.step" or after.state is not before.state:
                    await audit.add_audit(
                        session,
                        at=now,
                        actor=actor,
                        action=action if action != "runbook.step" else f"runbook.{after.state}",
                        subject=after.id,
                        detail={"from": before.state, "to": after.state, "note": after.note},
                    )
                told = await self._tell_incident(session, before, after, actor=actor)
                await self._notifier.run_changed(session, after)
                for command in decision.commands:
                    if isinstance(command, RequestApproval):
                        step = after.steps[command.index]
                        await self._notifier.approval_requested(session, after, step, approvers)
        except IntegrityError:  # the decision's unique key: someone decided this step first
            return None
        self._notifier.sent()
        if told and self._incidents is not None:
            self._incidents.owed()
        after.version = before.version + 1
        return after

    async def _tell_incident(
        self, session: AsyncSession, before: Run, after: Run, *, actor: str
    ) -> bool:
        """The incident the run is linked to hears that it started (when linked: at its
        start, or by the step that opened or joined the incident) and how it ended, once
        each (keyed by the run)."""
        incidents, incident_id = self._incidents, after.incident_id
        if incidents is None or incident_id is None or after.dry_run:
            return False
        told = False
        if before.incident_id is None or before.state is RunState.REQUESTED:
            told = await incidents.tell(
                session,
                incident_id=incident_id,
                key=f"run:{after.id}:started",
                actor=after.requester,
                action="runbook started",
                note=f"{after.id} {after.runbook}, requested by {after.requester}",
            )
        if after.is_finished and not before.is_finished:
            # "runbook not needed: RUN-… qwen_failure_downshift: already in place (…)": the
            # action says the outcome, so the note does not say it again.
            said = after.note.removeprefix(f"{after.state.label}: ")
            note = f"{after.id} {after.runbook}" + (f": {said}" if said else "")
            told |= await incidents.tell(
                session,
                incident_id=incident_id,
                key=f"run:{after.id}:{after.state.value}",
                actor=actor,
                action=f"runbook {after.state.label}",
                note=note,
            )
        return told

    async def record_late_outcome(self, run: Run, event: StepFinished) -> None:
        """A step's outcome that came after the run ended (cancelled mid-call): keep it."""
        now = self._clock.now()
        states = {StepResult.OK: StepState.SUCCEEDED, StepResult.FAILED: StepState.FAILED}
        state = states.get(event.result, StepState.UNKNOWN)
        async with self._db.transaction() as session:
            rows = await repo.steps_of(session, run.id)
            if rows[event.index].state != StepState.RUNNING.value:
                return
            values = {
                "state": state.value,
                "finished_at": now,
                "detail": f"{event.detail} (after the run had ended)",
            }
            await repo.update_step(session, run.id, event.index, values)
            await _audit_step(session, run.id, rows[event.index].step_id, values, now)
            await self._notifier.run_changed(session, run)
        self._notifier.sent()

    async def hold(self, run_id: str, *, until: datetime | None) -> None:
        """Renew this process's lease on a run it drives (None: give it up)."""
        async with self._db.transaction() as session:
            await repo.hold_run(session, run_id, until)

    async def take_due(self, *, lease: timedelta) -> str | None:
        """Lease one run whose next step is the bot's and that no live worker holds."""
        now = self._clock.now()
        async with self._db.autocommit() as session:  # each conditional lease commits alone
            return await repo.take_due_run(
                session, states=[s.value for s in DRIVEN], now=now, until=now + lease
            )


async def _audit_step(
    session: AsyncSession, run_id: str, step_id: str, values: Mapping[str, Any], at: datetime
) -> None:
    detail = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
    await audit.add_audit(
        session,
        at=at,
        actor=BOT,
        action="runbook.step",
        subject=run_id,
        detail={"step": step_id, **detail},
    )
