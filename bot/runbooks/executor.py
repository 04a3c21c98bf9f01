"""The executor: does the I/O the engine asks for and reports it back as events.

Checks are reads (retried by the serving client; health probes are counted one by one).
An action is first planned, giving the exact call (a plan may read, e.g. the replica
count), then, only in a real run and only after the service has stored the plan, sent
once. A dry run plans and reads but never sends a change.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from pydantic import ValidationError

from bot.durations import format_duration, parse_duration
from bot.errors import SreError
from bot.incidents.service import IncidentService
from bot.runbooks.checks import Unresolved, newest_stable, ran_away, resolve
from bot.runbooks.engine import (
    Need,
    NeedChecked,
    Notify,
    OpenIncident,
    StepFinished,
    StepResult,
    run_values,
)
from bot.runbooks.latency import LatencySource, LatencyUnavailable
from bot.runbooks.model import Run
from bot.runbooks.notifier import RunNotifier
from bot.runbooks.steps import (
    ActionStep,
    AddReplicas,
    BreakerIs,
    CheckStep,
    CurrentCheckpoint,
    LatencyAbove,
    ModelHealthy,
    ModelUnhealthy,
    ReplicasAre,
    RewardRunaway,
    Rollback,
    RoutedElsewhere,
    RoutingIs,
    RunCommand,
    SetBreaker,
    SetRouting,
    StableCheckpoint,
)
from bot.serving.client import PlannedCall, ServingClient, ServingError, ServingUnavailable
from bot.serving.models import Breakers, Checkpoints, Mode, Replicas, Routing

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
_OUTPUT_TAIL = 200


class _CannotTell(Exception):
    """A check that got an answer which says nothing about its condition."""


@dataclass(frozen=True)
class PlannedAction:
    """The exact change an action step will make, and what later steps learn from it."""

    call: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)


def describe_call(call: dict[str, Any]) -> str:
    """``POST http://serving/admin/routing {"mode": ...}`` or ``exec kubectl ...``."""
    if call.get("method") == "EXEC":
        return "exec " + " ".join(str(a) for a in call.get("argv", []))
    body = json.dumps(call.get("json", {}), sort_keys=True)
    return f"{call.get('method')} {call.get('url')} {body}"


class RunExecutor:
    """Does one step's I/O and reports it as a StepFinished; never touches the database."""

    def __init__(
        self,
        *,
        serving: ServingClient,
        notifier: RunNotifier,
        incidents: IncidentService | None = None,
        latency: LatencySource | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._serving = serving
        self._notifier = notifier
        self._incidents = incidents
        self._latency = latency
        self._sleep = sleep

    # -- checks ------------------------------------------------------------------------------

    async def need(self, run: Run) -> NeedChecked:
        """Whether the runbook's effect is already in place: every ``not_needed_when`` check
        holds (not needed), one does not (needed), or one cannot be read (unknown: the steps
        run, and their own checks decide)."""
        found: list[str] = []
        for spec in run.definition.not_needed_when:
            try:
                check = resolve(spec, run_values(run))
                holds, detail, _ = await self._evaluate(check, run)
            except Unresolved as exc:
                return NeedChecked(Need.UNKNOWN, f"{exc} is not known")
            except (ServingError, LatencyUnavailable) as exc:
                return NeedChecked(Need.UNKNOWN, f"could not read: {exc}")
            except _CannotTell as exc:
                return NeedChecked(Need.UNKNOWN, f"cannot tell: {exc}")
            if not holds:
                return NeedChecked(Need.NEEDED, detail)
            found.append(detail)
        return NeedChecked(Need.NOT_NEEDED, " and ".join(found))

    async def check(self, run: Run, index: int) -> StepFinished:
        spec = run.spec(index)
        assert isinstance(spec, CheckStep)
        try:
            check = resolve(spec.check, run_values(run))
        except Unresolved as exc:
            return StepFinished(index, StepResult.UNREADABLE, f"cannot check: {exc} is not known")
        try:
            ok, detail, outputs = await self._evaluate(check, run)
        except (ServingError, LatencyUnavailable) as exc:
            return StepFinished(index, StepResult.UNREADABLE, f"could not read: {exc}")
        except _CannotTell as exc:
            return StepFinished(index, StepResult.UNREADABLE, f"cannot tell: {exc}")
        return StepFinished(index, StepResult.OK if ok else StepResult.FAILED, detail, outputs)

    async def _evaluate(self, check: Any, run: Run) -> tuple[bool, str, dict[str, Any]]:
        serving = self._serving
        match check:
            case ModelUnhealthy(model=model, probes=probes, interval=interval):
                for probe in range(1, probes + 1):
                    if probe > 1:
                        await self._sleep(interval.total_seconds())
                    result = await serving.check_model(model)
                    if result.ok:
                        return False, f"{model} answered {result.reason} on check {probe}", {}
                detail = f"{probes} of {probes} health checks failed: {result.reason}"
                return True, detail, {"failed_probes": probes}
            case ModelHealthy(model=model):
                result = await serving.check_model(model)
                if result.status is None:  # no answer at all: not a verdict on the model
                    raise _CannotTell(f"{model}'s health: {result.reason}")
                return result.ok, f"{model}: {result.reason}", {}
            case RoutingIs(mode=mode, serve_with=serve_with):
                serving_now = (await serving.routing()).serving(mode)
                return serving_now == serve_with, f"{mode} is served by {serving_now}", {}
            case RoutedElsewhere(mode=mode):
                serving_now = (await serving.routing()).serving(mode)
                return serving_now != mode, f"{mode} is served by {serving_now}", {}
            case BreakerIs(model=model, state=state):
                now = (await serving.breakers()).breakers.get(model, "unknown")
                return now == state, f"{model}'s breaker is {now}", {}
            case RewardRunaway():
                listing = await serving.checkpoints()
                current = listing.current_checkpoint
                if current is None:
                    return False, f"current checkpoint {listing.current} is not listed", {}
                stats = f"{current.id}: reward mean {current.reward_mean}, std {current.reward_std}"
                outputs = {
                    "runaway_checkpoint": current.id,
                    "reward_mean": current.reward_mean,
                    "reward_std": current.reward_std,
                }
                if ran_away(current, check):
                    limits = f"over mean {check.mean_above:g} or std {check.std_above:g}"
                    return True, f"{stats}, {limits}", outputs
                return False, f"{stats}: within limits", {}
            case StableCheckpoint():
                listing = await serving.checkpoints()
                found = newest_stable(listing.checkpoints, current=listing.current, spec=check)
                if found is None:
                    return False, "no other checkpoint has a stable reward", {}
                detail = f"{found.id}: reward mean {found.reward_mean}, std {found.reward_std}"
                outputs = {
                    "stable_checkpoint": found.id,
                    "stable_reward_mean": found.reward_mean,
                    "stable_reward_std": found.reward_std,
                }
                return True, detail, outputs
            case CurrentCheckpoint(checkpoint=wanted):
                current_id = (await serving.checkpoints()).current
                return current_id == wanted, f"current checkpoint is {current_id}", {}
            case LatencyAbove():
                return await self._latency_above(check, run)
            case ReplicasAre(replicas=wanted):
                replicas = (await serving.replicas()).replicas
                return replicas == wanted, f"{replicas} replicas", {}
        raise AssertionError(f"unhandled check {check!r}")  # pragma: no cover

    async def _latency_above(
        self, check: LatencyAbove, run: Run
    ) -> tuple[bool, str, dict[str, Any]]:
        mode = str(run.values.get(check.mode_input) or (check.mode or ""))
        if mode and mode not in set(Mode):
            raise _CannotTell(f"no such mode {mode!r}")
        threshold = float(run.values.get(check.threshold_input) or check.threshold_seconds)
        label = f"p{check.quantile * 100:g}" + (f" of {mode} mode" if mode else "")
        given = run.values.get(check.input)
        if given is not None:
            seconds, source = float(given), "as the run was given"
        elif self._latency is not None:
            measured = await self._latency.quantile_seconds(
                quantile=check.quantile, mode=mode or None
            )
            if measured is None:
                raise _CannotTell(f"no latency samples for {label}")
            seconds, source = measured, "from serving metrics"
        else:
            raise _CannotTell("no latency given and no latency source configured")
        over = seconds > threshold
        relation = "over" if over else "within"
        detail = f"{label} {seconds:.2f}s {source}, {relation} {threshold:g}s"
        return over, detail, {"latency_seconds": round(seconds, 3)}

    # -- actions -------------------------------------------------------------------------------

    async def plan(self, run: Run, index: int) -> PlannedAction | StepFinished:
        """The exact call of an action step; a StepFinished (failed) when it cannot be made."""
        spec = run.spec(index)
        assert isinstance(spec, ActionStep)
        serving = self._serving
        try:
            action = resolve(spec.action, run_values(run))
        except Unresolved as exc:
            return StepFinished(index, StepResult.FAILED, f"cannot plan: {exc} is not known")
        planned: PlannedCall
        match action:
            case SetBreaker(model=model, state=state):
                planned = serving.describe_set_breaker(model, state)
            case SetRouting(mode=mode, serve_with=serve_with):
                planned = serving.describe_set_routing(mode, serve_with)
            case Rollback(checkpoint=checkpoint):
                planned = serving.describe_rollback(checkpoint)
            case AddReplicas(add=add, max=most):
                try:
                    now = (await serving.replicas()).replicas
                except ServingError as exc:
                    return StepFinished(index, StepResult.FAILED, f"could not read: {exc}")
                if now >= most:
                    detail = f"already at {now} replicas; the maximum is {most}"
                    return StepFinished(index, StepResult.FAILED, detail)
                wanted = min(now + add, most)
                return PlannedAction(
                    _call(serving.describe_set_replicas(wanted)), {"replicas": wanted}
                )
            case RunCommand(argv=argv, timeout=timeout):
                call = {"method": "EXEC", "argv": argv, "timeout": format_duration(timeout)}
                return PlannedAction(call)
            case _:  # pragma: no cover
                raise AssertionError(f"unhandled action {action!r}")
        return PlannedAction(_call(planned))

    async def perform(self, run: Run, index: int, plan: PlannedAction) -> StepFinished:
        """Send the planned change once; never retried, whatever happens."""
        call = plan.call
        if call.get("method") == "EXEC":
            return await self._run_command(index, call)
        try:
            answer = await self._serving.perform(
                PlannedCall(call["method"], call["url"], call["json"])
            )
        except ServingUnavailable as exc:
            # A refused connection never reached the server. Anything else (a 5xx, a timeout,
            # a dropped connection) may have applied the change: read the state back.
            if isinstance(exc.__cause__, aiohttp.ClientConnectorError):
                return StepFinished(index, StepResult.FAILED, str(exc))
            return await self._read_back(run, index, plan, exc)
        except (ServingError, ValueError) as exc:
            return StepFinished(index, StepResult.FAILED, str(exc))
        return StepFinished(
            index, StepResult.OK, _outcome(run, index, plan, answer), plan.outputs, answer=answer
        )

    async def _read_back(
        self, run: Run, index: int, plan: PlannedAction, exc: ServingUnavailable
    ) -> StepFinished:
        """Decide an ambiguous answer from the state it should have left.

        The change holds: succeeded, whatever the answer said. It does not, after a 5xx: the
        server said no and did nothing, so failed. It does not after a timeout or a dropped
        connection (the request may still be on its way), or the state cannot be read:
        unknown, and a person decides (needs attention).
        """
        try:
            holds, seen = await self._change_holds(run, index, plan)
        except (ServingError, Unresolved) as read_error:
            detail = (
                f"{exc}; reading the state back failed too ({read_error}), so its effect is unknown"
            )
            return StepFinished(index, StepResult.UNKNOWN, detail)
        if holds:
            detail = f"{exc}; read back: {seen}, so the change took effect"
            return StepFinished(index, StepResult.OK, detail, plan.outputs)
        if exc.status is not None:
            return StepFinished(index, StepResult.FAILED, f"{exc}; read back: {seen}, unchanged")
        detail = f"{exc}; read back: {seen}, not (yet) changed, so its effect is unknown"
        return StepFinished(index, StepResult.UNKNOWN, detail)

    async def _change_holds(self, run: Run, index: int, plan: PlannedAction) -> tuple[bool, str]:
        """Whether the serving process now shows the planned change, and what it shows."""
        action = _action(run, index)
        serving = self._serving
        state: ServingState
        match action:
            case SetBreaker():
                state = await serving.breakers()
            case SetRouting():
                state = await serving.routing()
            case Rollback():
                state = await serving.checkpoints()
            case AddReplicas():
                state = await serving.replicas()
            case _:  # pragma: no cover
                raise Unresolved("no read-back for this action")
        return _shows(action, state, plan)

    async def _run_command(self, index: int, call: dict[str, Any]) -> StepFinished:
        argv = [str(a) for a in call["argv"]]
        timeout = parse_duration(call["timeout"]).total_seconds()
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
            )
        except OSError as exc:
            return StepFinished(index, StepResult.FAILED, f"not run: {argv[0]}: {exc.strerror}")
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            detail = f"no exit within {call['timeout']}; killed it, so its effect is unknown"
            return StepFinished(index, StepResult.UNKNOWN, detail)
        tail = output.decode("utf-8", "replace").strip()[-_OUTPUT_TAIL:]
        if process.returncode != 0:
            return StepFinished(
                index, StepResult.FAILED, f"exit status {process.returncode}: {tail}"
            )
        return StepFinished(
            index, StepResult.OK, f"exit status 0: {tail}" if tail else "exit status 0"
        )

    # -- people ----------------------------------------------------------------------------------

    async def notify(self, run: Run, command: Notify) -> StepFinished:
        try:
            await self._notifier.notify(
                run, step=command.index, audience=command.audience, text=command.text
            )
        except Exception as exc:
            log.exception("%s: could not notify %s", run.id, command.audience.value)
            detail = f"could not tell {command.audience.value} ({type(exc).__name__})"
            return StepFinished(command.index, StepResult.FAILED, detail)
        return StepFinished(
            command.index, StepResult.OK, f"told {command.audience.value}: {command.text}"
        )

    async def open_incident(self, run: Run, command: OpenIncident) -> StepFinished:
        """Open the incident, or join the open one about the same trouble.

        The request key makes a repeat of this step (after a restart) find its own incident.
        An open incident about the same components (sre.yaml ``incidents.join``: an SLO's
        page about the API, a second downshift while Qwen is still down) is the same
        outage: the run joins it, with a timeline entry and a reply in its thread.
        """
        incidents = self._incidents
        if incidents is None:
            return StepFinished(command.index, StepResult.FAILED, "no incident service configured")
        step_id = run.steps[command.index].step_id
        request_key = f"runbook:{run.id}:{step_id}"
        try:
            opening = await incidents.open_or_join(
                title=command.title,
                severity=command.severity,
                actor=run.requester,
                source=f"Runbook {run.runbook} ({run.id}): {command.title}",
                request_key=request_key,
                description=command.description,
                components=command.components,
            )
        except SreError as exc:
            return StepFinished(command.index, StepResult.FAILED, str(exc))
        incident = opening.incident
        if opening.joined:
            detail = f"joined {incident.id} ({incident.severity.label}), still open: "
        else:
            detail = f"opened {incident.id} ({incident.severity.label}): "
        detail += incident.title
        return StepFinished(command.index, StepResult.OK, detail, {"incident_id": incident.id})


ServingState = Routing | Breakers | Checkpoints | Replicas
_STATE_OF: dict[type[Any], type[ServingState]] = {
    SetRouting: Routing,
    SetBreaker: Breakers,
    Rollback: Checkpoints,
    AddReplicas: Replicas,
}


def _action(run: Run, index: int) -> Any:
    spec = run.spec(index)
    assert isinstance(spec, ActionStep)
    return resolve(spec.action, run_values(run))


def _shows(action: Any, state: ServingState, plan: PlannedAction) -> tuple[bool, str]:
    """Whether ``state`` (as the serving process reports it) holds the change, and what it says."""
    match action, state:
        case SetBreaker(model=model, state=wanted), Breakers():
            now = state.breakers.get(model, "unknown")
            return now == wanted, f"{model}'s breaker is {now}"
        case SetRouting(mode=mode, serve_with=serve_with), Routing():
            serving_now = state.serving(mode)
            return serving_now == serve_with, f"{mode} is served by {serving_now}"
        case Rollback(checkpoint=checkpoint), Checkpoints():
            return state.current == checkpoint, f"current checkpoint is {state.current}"
        case AddReplicas(), Replicas():
            replicas = state.replicas
            return replicas == plan.outputs.get("replicas"), f"{replicas} replicas"
    raise Unresolved("no read-back for this action")  # pragma: no cover


def _outcome(run: Run, index: int, plan: PlannedAction, answer: Any) -> str:
    """What a sent change did, in a person's words ("rolled back to ppo-000160"); the answer
    itself is kept whole on the step, for ``/runbook status --full`` and ``--json``."""
    try:
        action = _action(run, index)
        state = _STATE_OF[type(action)].model_validate(answer)
    except (Unresolved, KeyError, ValidationError):
        return "done; the serving process's answer does not show the new state"
    holds, seen = _shows(action, state, plan)
    if not holds:
        return f"sent, but the serving process answered that {seen}"
    match action:
        case SetBreaker(model=model, state=wanted):
            return f"{model}'s breaker is now {wanted}"
        case SetRouting(mode=mode, serve_with=serve_with) if mode == serve_with:
            return f"{mode} restored (served by {mode} again)"
        case SetRouting(mode=mode, serve_with=serve_with):
            return f"{mode} now served by {serve_with}"
        case Rollback(checkpoint=checkpoint):
            return f"rolled back to {checkpoint}"
        case AddReplicas():
            return f"scaled to {state.replicas} replicas" if isinstance(state, Replicas) else seen
    return seen  # pragma: no cover


def _call(planned: PlannedCall) -> dict[str, Any]:
    return {"method": planned.method, "url": planned.url, "json": planned.json}
