"""The engine alone: the transition table and (run, event) → (run, commands), no I/O."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.errors import TransitionForbidden
from bot.runbooks.definitions import RunbookDefinition, load_definitions
from bot.runbooks.engine import (
    Approved,
    Cancelled,
    CheckNeed,
    Denied,
    ExecuteStep,
    Expired,
    Finish,
    Need,
    NeedChecked,
    Notify,
    RequestApproval,
    Restarted,
    Resumed,
    Start,
    StepFinished,
    StepResult,
    StepStarted,
    advance,
    owed,
)
from bot.runbooks.model import (
    ACTIVE,
    TERMINAL,
    TRANSITIONS,
    Run,
    RunEvent,
    RunState,
    StepState,
    new_steps,
    next_state,
)
from bot.runbooks.steps import Audience

NOW = datetime(2026, 10, 14, 10, 30, tzinfo=UTC)
OK, FAILED, UNKNOWN = StepResult.OK, StepResult.FAILED, StepResult.UNKNOWN
CATALOG = load_definitions()


def fresh(definition: RunbookDefinition | str, *, dry_run: bool = False) -> Run:
    if isinstance(definition, str):
        definition = CATALOG[definition]
    return Run(
        id="RUN-20261014-103000",
        runbook=definition.name,
        target=definition.target,
        requester="U0AAA",
        state=RunState.REQUESTED,
        definition=definition,
        steps=new_steps(definition),
        created_at=NOW,
        updated_at=NOW,
        dry_run=dry_run,
    )


def started(name: str, *, dry_run: bool = False) -> Run:
    """A run started and past its not_needed_when checks (needed): at its first step."""
    run = advance(fresh(name, dry_run=dry_run), Start(), now=NOW).run
    if run.definition.not_needed_when:
        needed = NeedChecked(Need.NEEDED, "creative is served by creative")
        run = advance(run, needed, now=NOW).run
    return run


def custom(*steps: dict[str, Any]) -> RunbookDefinition:
    return RunbookDefinition.model_validate(
        {"name": "drill", "description": "a drill", "target": "qwen", "steps": list(steps)}
    )


def check(step_id: str, on_fail: str = "fail") -> dict[str, Any]:
    spec = {"kind": "model_healthy", "model": "mistral"}
    return {"id": step_id, "type": "check", "title": step_id, "check": spec, "on_fail": on_fail}


# -- the table -------------------------------------------------------------------------------


def test_active_and_terminal_split_every_state() -> None:
    assert set(RunState) == ACTIVE | TERMINAL and not ACTIVE & TERMINAL


@pytest.mark.parametrize(("state", "event"), list(itertools.product(RunState, RunEvent)))
def test_every_pair_is_allowed_only_if_the_table_says_so(state: RunState, event: RunEvent) -> None:
    if (state, event) in TRANSITIONS:
        assert next_state(state, event, run_id="RUN-1") is TRANSITIONS[(state, event)]
    else:
        with pytest.raises(TransitionForbidden, match="RUN-1"):
            next_state(state, event, run_id="RUN-1")


def test_terminal_states_have_no_way_out_and_every_active_state_can_be_cancelled() -> None:
    assert not [pair for pair in TRANSITIONS if pair[0] in TERMINAL]
    assert all(TRANSITIONS[(s, RunEvent.CANCEL)] is RunState.CANCELLED for s in ACTIVE)
    with pytest.raises(TransitionForbidden, match="already succeeded"):
        next_state(RunState.SUCCEEDED, RunEvent.CANCEL, run_id="RUN-1")


# -- runs ------------------------------------------------------------------------------------


def test_start_runs_the_first_step_and_leaves_the_given_run_untouched() -> None:
    run = fresh("rl_reward_runaway_rollback")

    decision = advance(run, Start(), now=NOW)

    assert decision.commands == (ExecuteStep(0),)
    assert decision.run.state is RunState.RUNNING
    assert decision.run.steps[0].state is StepState.RUNNING
    assert run.state is RunState.REQUESTED and run.steps[0].state is StepState.PENDING


def test_a_runbook_with_not_needed_when_reads_it_before_its_first_step() -> None:
    decision = advance(fresh("qwen_failure_downshift"), Start(), now=NOW)

    assert decision.commands == (CheckNeed(),)
    assert decision.run.state is RunState.RUNNING
    assert {s.state for s in decision.run.steps} == {StepState.PENDING}
    needed = NeedChecked(Need.NEEDED, "creative is served by creative")
    assert advance(decision.run, needed, now=NOW).commands == (ExecuteStep(0),)
    # A worker stopped inside that read reads again; nothing else is owed yet.
    assert owed(decision.run, now=NOW) == (CheckNeed(),)
    assert advance(decision.run, Restarted(), now=NOW).commands == (CheckNeed(),)


IN_PLACE = NeedChecked(Need.NOT_NEEDED, "creative is served by balanced and qwen's breaker is open")


def test_a_run_whose_effect_is_in_place_ends_not_needed_having_done_nothing() -> None:
    run = advance(fresh("qwen_failure_downshift"), Start(), now=NOW).run

    decision = advance(run, IN_PLACE, now=NOW)

    note = (
        "not needed: already in place (creative is served by balanced and qwen's breaker is open)"
    )
    assert decision.commands == (Finish(RunState.NOT_NEEDED, note),)
    assert decision.run.state is RunState.NOT_NEEDED and decision.run.note == note
    assert decision.run.is_finished and not decision.run.is_active
    assert decision.run.finished_at == NOW
    assert {s.state for s in decision.run.steps} == {StepState.SKIPPED}
    with pytest.raises(TransitionForbidden, match=r"already ended \(not needed\)"):
        advance(decision.run, Cancelled("U0AAA"), now=NOW)
    # Once a step has begun, the checks are over: a late answer changes nothing.
    with pytest.raises(TransitionForbidden):
        advance(started("qwen_failure_downshift"), IN_PLACE, now=NOW)


def test_a_dry_run_whose_effect_is_in_place_shows_its_steps_and_says_it_would_end() -> None:
    run = advance(fresh("qwen_failure_downshift", dry_run=True), Start(), now=NOW).run
    run = advance(run, IN_PLACE, now=NOW).run
    run = advance(run, StepFinished(0, OK, "3 of 3 failed", {"failed_probes": 3}), now=NOW).run
    for index in (1, 2, 3):
        run = advance(run, StepFinished(index, OK, "dry run: not sent"), now=NOW).run

    assert run.state is RunState.SUCCEEDED
    assert {s.state for s in run.steps} == {StepState.PLANNED}
    assert run.note.startswith("dry run: nothing was changed; it would end: not needed: ")
    assert "(creative is served by balanced and qwen's breaker is open)" in run.note


def test_a_need_nobody_could_read_runs_the_steps_which_check_for_themselves() -> None:
    run = advance(fresh("qwen_failure_downshift"), Start(), now=NOW).run

    decision = advance(run, NeedChecked(Need.UNKNOWN, "could not read: 503"), now=NOW)

    assert decision.commands == (ExecuteStep(0),)
    assert "cannot tell whether it is needed (could not read: 503)" in decision.run.note


def test_an_approval_step_waits_with_its_prompt_and_deadline() -> None:
    run = advance(fresh("rl_reward_runaway_rollback"), Start(), now=NOW).run
    found = {"runaway_checkpoint": "ppo-9", "reward_mean": 180.0, "reward_std": 90.0}
    run = advance(run, StepFinished(0, OK, "ran away", found), now=NOW).run
    stable = {"stable_checkpoint": "ppo-8", "stable_reward_mean": 30, "stable_reward_std": 5}

    decision = advance(run, StepFinished(1, OK, "ppo-8", stable), now=NOW)

    (ask,) = decision.commands
    assert isinstance(ask, RequestApproval)
    assert ask.expires_at == NOW + timedelta(minutes=30)
    assert "from ppo-9 (reward 180.0, std 90.0) to ppo-8" in ask.prompt
    assert decision.run.state is RunState.WAITING_APPROVAL
    approved = advance(decision.run, Approved(2, "U0BBB"), now=NOW)
    assert approved.commands == (ExecuteStep(3),)
    assert approved.run.steps[2].decided_by == "U0BBB"
    with pytest.raises(TransitionForbidden):
        advance(approved.run, Approved(2, "U0DDD"), now=NOW)
    denied = advance(decision.run, Denied(2, "U0DDD", "expected"), now=NOW)
    assert denied.run.state is RunState.REJECTED
    assert {s.state for s in denied.run.steps[3:]} == {StepState.SKIPPED}
    assert advance(decision.run, Expired(2), now=NOW).run.state is RunState.EXPIRED


def test_an_unknown_outcome_needs_attention_and_a_restart_never_resends() -> None:
    run = started("qwen_failure_downshift")
    run = advance(run, StepFinished(0, OK, "3 of 3 failed", {"failed_probes": 3}), now=NOW).run
    call = {"method": "POST", "url": "http://s/admin/circuit-breaker", "json": {}}
    sending = advance(run, StepStarted(1, call), now=NOW).run

    restarted = advance(sending, Restarted(), now=NOW)

    assert restarted.commands == ()
    assert restarted.run.state is RunState.NEEDS_ATTENTION
    assert restarted.run.steps[1].state is StepState.UNKNOWN
    retried = advance(restarted.run, Resumed("U0BBB", applied=False), now=NOW)
    assert retried.commands == (ExecuteStep(1),) and retried.run.steps[1].call is None
    confirmed = advance(restarted.run, Resumed("U0BBB", applied=True), now=NOW)
    assert confirmed.commands == (ExecuteStep(2),)
    # A restart inside a read simply reads again.
    assert advance(run, Restarted(), now=NOW).commands == (ExecuteStep(1),)


def test_what_a_failed_check_does_is_the_definitions_choice() -> None:
    definition = custom(
        check("gate", on_fail="skip_next"),
        check("skipped"),
        check("tolerated", on_fail="continue"),
        check("last"),
    )
    run = advance(fresh(definition), Start(), now=NOW).run

    run = advance(run, StepFinished(0, FAILED, "mistral: unhealthy"), now=NOW).run
    assert run.steps[1].state is StepState.SKIPPED and run.current == 2
    run = advance(run, StepFinished(2, FAILED, "mistral: unhealthy"), now=NOW).run
    decision = advance(run, StepFinished(3, OK, "mistral: healthy"), now=NOW)

    assert decision.commands == (Finish(RunState.FAILED, decision.run.note),)
    assert "tolerated failed" in decision.run.note
    stop = advance(fresh(custom(check("gate", "stop"), check("b"))), Start(), now=NOW).run
    stopped = advance(stop, StepFinished(0, FAILED, "fine already"), now=NOW).run
    assert stopped.state is RunState.SUCCEEDED and "nothing else to do" in stopped.note


def test_a_dry_run_plans_every_step_and_waits_for_nobody() -> None:
    run = started("qwen_failure_downshift", dry_run=True)
    run = advance(run, StepFinished(0, FAILED, "qwen answered healthy"), now=NOW).run
    assert run.steps[0].state is StepState.PLANNED
    assert "the run would stop here" in run.steps[0].detail
    for index in (1, 2, 3):
        run = advance(run, StepFinished(index, OK, "dry run: not sent"), now=NOW).run

    assert run.state is RunState.SUCCEEDED
    assert {s.state for s in run.steps} == {StepState.PLANNED}
    assert "would tell oncall" in run.steps[4].detail


def test_notify_renders_the_run_values() -> None:
    run = started("qwen_failure_downshift")
    run = advance(run, StepFinished(0, OK, "down", {"failed_probes": 3}), now=NOW).run
    for index in (1, 2):
        run = advance(run, StepStarted(index, {"method": "POST"}), now=NOW).run
        run = advance(run, StepFinished(index, OK, "done"), now=NOW).run

    (notify,) = advance(run, StepFinished(3, OK, "healthy"), now=NOW).commands

    assert isinstance(notify, Notify) and notify.audience is Audience.ONCALL
    assert "U0AAA reported it and the run's 3 health checks in a row failed" in notify.text
    assert "RUN-20261014-103000" in notify.text


def test_cancel_ends_an_active_run_and_a_run_is_plain_json() -> None:
    run = advance(fresh("rl_reward_runaway_rollback"), Start(), now=NOW).run

    cancelled = advance(run, Cancelled("U0AAA", "false alarm"), now=NOW).run

    assert cancelled.state is RunState.CANCELLED and cancelled.finished_at == NOW
    assert cancelled.note == "cancelled by U0AAA: false alarm"
    assert json.loads(json.dumps(cancelled.to_dict()))["state"] == "cancelled"
    with pytest.raises(TransitionForbidden, match="already cancelled"):
        advance(cancelled, Cancelled("U0AAA"), now=NOW)
