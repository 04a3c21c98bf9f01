"""Runbook runs: start, approve, deny, cancel, resume and expire, each audited.

Every engine decision is committed before its commands run (an action's exact call is
stored before it is sent), with a conditional update on the run's version, so a double
click, a second approver or a cancel racing a step changes the run once. People are
told (the notifier) only after the change is stored. A start, an approval or a resume
returns once its decision is stored: the ``runs`` job (``job``) drives the steps, and takes
up what a crash or a stop left inside a step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.errors import InvalidInput, TransitionForbidden
from bot.incidents.service import IncidentService
from bot.runbooks.definitions import RunbookDefinition, load_definitions
from bot.runbooks.engine import (
    Approved,
    Cancelled,
    Denied,
    Event,
    Expired,
    Resumed,
    Start,
    advance,
)
from bot.runbooks.errors import (
    AlreadyDecided,
    ApprovalExpired,
    NoApprover,
    NotAnApprover,
    NotWaitingForApproval,
    RunFinished,
    SelfApprovalForbidden,
    UnknownRunbook,
)
from bot.runbooks.executor import RunExecutor, Sleep
from bot.runbooks.job import RunJob
from bot.runbooks.latency import LatencySource, ServingMetricsLatency
from bot.runbooks.model import Run, RunState, StepState
from bot.runbooks.notifier import RunNotifier, SilentRunNotifier
from bot.runbooks.runner import RunDriver
from bot.runbooks.starters import StartedBy, Starter
from bot.runbooks.store import BOT, DRIVEN, RunStore
from bot.serving.client import ServingClient
from storage.db import Database

_ATTEMPTS = 50
_DECIDED = {
    StepState.SUCCEEDED: "approved",
    StepState.DENIED: "denied",
    StepState.EXPIRED: "expired",
    StepState.CANCELLED: "cancelled",
}


class RunbookService:
    """Runbook runs for Slack handlers, the CLI and the scheduler.

    ``approvers`` is ``runbooks.approvers`` of sre.yaml; ``definitions`` defaults to the
    shipped runbooks (``load_definitions`` adds a team's own).
    """

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        serving: ServingClient,
        definitions: Mapping[str, RunbookDefinition] | None = None,
        incidents: IncidentService | None = None,
        approvers: Sequence[str] = (),
        notifier: RunNotifier | None = None,
        latency: LatencySource | None = None,
        sleep: Sleep = asyncio.sleep,
        owed: Callable[[], None] | None = None,
    ) -> None:
        """``owed``: told when a run has steps for the runs job (the composition root
        wires the runs worker's kick)."""
        self._clock = clock
        self._definitions = dict(definitions if definitions is not None else load_definitions())
        self._approvers = list(approvers)
        self._incidents = incidents
        notifier = notifier or SilentRunNotifier()
        self._store = RunStore(db=db, clock=clock, notifier=notifier, incidents=incidents)
        executor = RunExecutor(
            serving=serving,
            notifier=notifier,
            incidents=incidents,
            latency=latency or ServingMetricsLatency(base_url=serving.base_url),
            sleep=sleep,
        )
        self._driver = RunDriver(
            store=self._store,
            executor=executor,
            clock=clock,
            approvers=self._approvers,
            owed=owed,
        )
        self.job = RunJob(store=self._store, driver=self._driver, clock=clock)
        """The ``runs`` job; a ``bot.work.Worker`` runs it (``lanes`` runs at once)."""

    # -- reads ---------------------------------------------------------------------------------

    def list_definitions(self) -> list[RunbookDefinition]:
        return sorted(self._definitions.values(), key=lambda d: d.name)

    def definition(self, *, name: str) -> RunbookDefinition:
        found = self._definitions.get(name.strip())
        if found is None:
            raise UnknownRunbook(name, list(self._definitions))
        return found

    async def get(self, *, run_id: str) -> Run:
        """The stored run; UnknownRun for an ID that is malformed or not there."""
        return await self._store.get(run_id)

    async def list_runs(self, *, active_only: bool = True, limit: int = 20) -> list[Run]:
        """Newest first; active means requested, running, waiting or needing attention."""
        return await self._store.list(active_only=active_only, limit=limit)

    async def settled(self, *, run_ids: Sequence[str], within: float) -> list[Run]:
        """The runs once none is the runs job's to drive any more (each ended or waits for
        a person), or as they stand after ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            runs = [await self._store.get(run_id) for run_id in run_ids]
            if all(run.state not in DRIVEN for run in runs) or loop.time() >= deadline:
                return runs
            await asyncio.sleep(0.2)  # the runs worker (here or elsewhere) drives them

    # -- start ---------------------------------------------------------------------------------

    async def start(
        self,
        *,
        name: str,
        requester: str,
        dry_run: bool = False,
        target: str | None = None,
        incident_id: str | None = None,
        origin_channel: str | None = None,
        inputs: Mapping[str, str | int | float] | None = None,
        started_by: StartedBy | None = None,
    ) -> Run:
        """Store a run and its first step (for the runs job, told at once), ask the
        approvers if it starts with an approval; returns the run as stored.

        A dry run reads (checks, replica count) but sends no change, takes no lock, asks
        no approver and tells nobody but the run's own message. ``started_by`` is what its
        texts say started it (``{started_by}``); by default, told by the requester, with an
        alert's run naming the alerts firing for ``incident_id``.
        """
        definition = self.definition(name=name)
        chosen = (target or definition.target).strip()
        if chosen not in definition.allowed_targets:
            allowed = ", ".join(definition.allowed_targets)
            raise InvalidInput(f"{definition.name} acts on {allowed}, not {chosen!r}.")
        values = _checked_inputs(definition, inputs or {})
        if definition.needs_approval and not dry_run and not self._driver.others(requester):
            raise NoApprover(
                runbook=definition.name, requester=requester, approvers=self._approvers
            )
        if incident_id is not None and self._incidents is not None:
            incident_id = (await self._incidents.get(incident_id=incident_id)).id
        if started_by is None:
            started_by = StartedBy.of(requester)
        if started_by.kind is Starter.ALERT and not started_by.alerts and incident_id:
            alerts = await self._store.alerts_of(incident_id=incident_id)
            started_by = StartedBy.of(requester, alerts=alerts)
        run = await self._store.create(
            definition=definition,
            target=chosen,
            requester=requester,
            dry_run=dry_run,
            incident_id=incident_id,
            origin_channel=origin_channel,
            values=values,
            started_by=started_by,
        )
        decision = advance(run, Start(), now=self._clock.now())
        saved = await self._driver.commit(run, decision, actor=requester, action="runbook.run")
        if saved is None:  # moved meanwhile (cancelled at once): theirs is the run now
            return await self._store.get(run.id)
        return await self._driver.hand_over(saved, decision.commands)

    # -- decisions by people ----------------------------------------------------------------------

    async def approve(self, *, run_id: str, actor: str, step: str | None = None) -> Run:
        """Approve the waiting step (once, whoever clicks twice); the runs job goes on."""
        return await self._decide_approval(run_id=run_id, actor=actor, step=step, approve=True)

    async def deny(
        self, *, run_id: str, actor: str, step: str | None = None, reason: str = ""
    ) -> Run:
        """Deny the waiting step: the run ends rejected and nothing more is called."""
        return await self._decide_approval(
            run_id=run_id, actor=actor, step=step, approve=False, reason=reason
        )

    async def _decide_approval(
        self, *, run_id: str, actor: str, step: str | None, approve: bool, reason: str = ""
    ) -> Run:
        verb = "approve" if approve else "deny"
        for _ in range(_ATTEMPTS):
            run = await self.get(run_id=run_id)
            index = _waiting_index(run, step)
            now = self._clock.now()
            waiting = run.steps[index]
            if waiting.expires_at is not None and now >= waiting.expires_at:
                lapsed = advance(run, Expired(index), now=now)
                expiry = (index, "expired")
                if not await self._driver.commit(
                    run, lapsed, actor=BOT, action="runbook.expire", decided=expiry
                ):
                    continue
                raise ApprovalExpired(
                    run_id=run.id, step=waiting.title, expired_at=waiting.expires_at
                )
            if approve and actor == run.requester:
                raise SelfApprovalForbidden(
                    run_id=run.id, actor=actor, others=self._driver.others(actor)
                )
            if actor not in self._approvers:
                raise NotAnApprover(actor=actor, what=f"{verb} {run.id}", approvers=self._approvers)
            event: Event = Approved(index, actor) if approve else Denied(index, actor, reason)
            decision = advance(run, event, now=now)
            decided = (index, "approved" if approve else "denied")
            saved = await self._driver.commit(
                run, decision, actor=actor, action=f"runbook.{verb}", decided=decided
            )
            if saved is not None:
                return await self._driver.hand_over(saved, decision.commands)
        raise RuntimeError(f"{run_id} kept changing under us; try again")

    async def cancel(self, *, run_id: str, actor: str, reason: str = "") -> Run:
        """Stop a run between steps (an admin call already in flight still completes and is
        recorded). The requester or an approver may cancel."""
        for _ in range(_ATTEMPTS):
            run = await self.get(run_id=run_id)
            if run.is_finished:
                raise RunFinished(run_id=run.id, state=run.state.ended, at=run.finished_at)
            if actor != run.requester and actor not in self._approvers:
                raise NotAnApprover(actor=actor, what=f"cancel {run.id}", approvers=self._approvers)
            decision = advance(run, Cancelled(actor, reason), now=self._clock.now())
            saved = await self._driver.commit(run, decision, actor=actor, action="runbook.cancel")
            if saved is not None:
                return saved
        raise RuntimeError(f"{run_id} kept changing under us; try again")

    async def resume(self, *, run_id: str, actor: str, applied: bool) -> Run:
        """After an unknown outcome, an approver says what happened: ``applied`` (go on) or
        not (send the call again, once). Nothing is ever repeated without this."""
        action = "runbook.resume_applied" if applied else "runbook.resume_retry"
        for _ in range(_ATTEMPTS):
            run = await self.get(run_id=run_id)
            if run.is_finished:
                raise RunFinished(run_id=run.id, state=run.state.ended, at=run.finished_at)
            if run.state is not RunState.NEEDS_ATTENTION:
                raise TransitionForbidden(
                    f"{run.id} is {run.state.label}: there is nothing to resume."
                )
            if actor not in self._approvers:
                raise NotAnApprover(actor=actor, what=f"resume {run.id}", approvers=self._approvers)
            decision = advance(run, Resumed(actor, applied), now=self._clock.now())
            saved = await self._driver.commit(run, decision, actor=actor, action=action)
            if saved is not None:
                return await self._driver.hand_over(saved, decision.commands)
        raise RuntimeError(f"{run_id} kept changing under us; try again")

    # -- time ----------------------------------------------------------------------

    async def expire_due(self, now: datetime | None = None) -> list[Run]:
        """End every run whose approval waited past its TTL; returns those runs."""
        now = now or self._clock.now()
        expired: list[Run] = []
        for run in await self.list_runs(active_only=True, limit=1000):
            waiting = run.current_step
            if run.state is not RunState.WAITING_APPROVAL or waiting.expires_at is None:
                continue
            if waiting.expires_at > now:
                continue
            decision = advance(run, Expired(waiting.index), now=now)
            saved = await self._driver.commit(
                run,
                decision,
                actor=BOT,
                action="runbook.expire",
                decided=(waiting.index, "expired"),
            )
            if saved is not None:
                expired.append(saved)
        return expired


def _waiting_index(run: Run, step_id: str | None) -> int:
    """The approval step a click is about; explains why not when it is not waiting."""
    if step_id is not None:
        found = run.step(step_id)
        if found is None or found.kind != "approval":
            raise InvalidInput(f"{run.id} has no approval step {step_id!r}.")
    elif run.state is RunState.WAITING_APPROVAL:
        found = run.current_step
    else:
        decided = [s for s in run.steps if s.kind == "approval" and s.state in _DECIDED]
        found = decided[-1] if decided else None
    if (
        found is not None
        and found.state is StepState.WAITING_APPROVAL
        and run.state is RunState.WAITING_APPROVAL
    ):
        return found.index
    if found is not None and found.state in _DECIDED:
        raise AlreadyDecided(
            run_id=run.id, step=found.title, decision=_DECIDED[found.state], by=found.decided_by
        )
    if run.is_finished:
        raise RunFinished(run_id=run.id, state=run.state.ended, at=run.finished_at)
    raise NotWaitingForApproval(f"{run.id} is {run.state.label}: no step waits for approval.")


def _checked_inputs(definition: RunbookDefinition, inputs: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in inputs.items():
        if name not in definition.inputs:
            known = ", ".join(sorted(definition.inputs)) or "none"
            raise InvalidInput(f"{definition.name} takes no input {name!r} (inputs: {known}).")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInput(f"Input {name!r} must be text or a number.")
        values[name] = value
    return values
