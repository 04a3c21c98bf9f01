"""Runbook definitions as data: the shipped three, and messages that name the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.runbooks.checks import histogram_quantile, newest_stable
from bot.runbooks.cli_text import definition_lines
from bot.runbooks.definitions import Automation, DefinitionError, load_definitions
from bot.runbooks.steps import StableCheckpoint
from bot.serving.models import Checkpoint


def minimal(**overrides: Any) -> dict[str, Any]:
    runbook: dict[str, Any] = {
        "name": "restart_qwen",
        "description": "Restart Qwen.",
        "target": "qwen",
        "steps": [
            {
                "id": "restart",
                "type": "action",
                "title": "Restart Qwen",
                "action": {"kind": "command", "argv": ["true"]},
            }
        ],
    }
    return runbook | overrides


def problems(*runbooks: Any) -> str:
    with pytest.raises(DefinitionError) as raised:
        load_definitions(list(runbooks))
    return str(raised.value)


def test_the_guides_three_runbooks_ship_with_their_steps() -> None:
    catalog = load_definitions()

    # The guide's three, and the restore that undoes the downshift once Qwen recovers.
    assert sorted(catalog) == [
        "api_high_latency_scaleup",
        "qwen_failure_downshift",
        "qwen_restore_creative",
        "rl_reward_runaway_rollback",
    ]
    qwen = catalog["qwen_failure_downshift"]
    assert (qwen.target, qwen.automation, qwen.expected_recovery) == (
        "qwen",
        Automation.AUTOMATIC,
        timedelta(minutes=5),
    )
    assert [s.type for s in qwen.steps] == [
        "check", "action", "action", "check", "notify", "open_incident",
    ]  # fmt: skip
    rollback = catalog["rl_reward_runaway_rollback"]
    assert rollback.automation is Automation.SEMI_AUTOMATIC and rollback.needs_approval
    assert [s.type for s in rollback.steps] == ["check", "check", "approval", "action", "check"]
    assert catalog["api_high_latency_scaleup"].target == "api"
    assert "trigger: Qwen health check fails 3 times in a row" in "\n".join(definition_lines(qwen))


def test_a_team_adds_a_runbook_and_may_replace_a_shipped_one() -> None:
    tuned = load_definitions()["api_high_latency_scaleup"].model_dump(mode="json")
    tuned["steps"][1]["action"]["max"] = 20

    catalog = load_definitions([minimal(), tuned])

    assert catalog["restart_qwen"].steps[0].id == "restart"
    assert catalog["api_high_latency_scaleup"].steps[1].action.max == 20  # type: ignore[union-attr]
    assert len(catalog) == 5


def test_a_typo_in_a_key_is_named() -> None:
    bad = minimal(steps=[{"id": "x", "type": "notify", "title": "t", "txt": "hello"}])

    message = problems(bad)

    assert "runbooks.definitions[0] (restart_qwen).steps.0.txt: unknown key" in message
    assert "steps.0.text: Field required" in message


def test_an_unknown_step_kind_and_a_bad_duration_are_named() -> None:
    check = {"kind": "model_unhealthy", "model": "qwen", "interval": "five seconds"}
    bad = minimal(
        steps=[
            {"id": "a", "type": "check", "title": "t", "check": check},
            {"id": "b", "type": "action", "title": "t", "action": {"kind": "reboot"}},
            {"id": "c", "type": "approval", "title": "t", "ttl": "0m"},
        ]
    )

    message = problems(bad)

    assert "steps.0.check.interval: invalid duration 'five seconds'" in message
    assert "steps.1.action: Input tag 'reboot'" in message and "'set_breaker'" in message
    assert "steps.2.ttl: invalid duration '0m': must be greater than zero" in message


def test_a_reference_to_a_value_no_earlier_step_produces_is_named() -> None:
    rollback = {"kind": "rollback", "checkpoint": "{stable_checkpoint}"}
    bad = minimal(steps=[{"id": "roll", "type": "action", "title": "t", "action": rollback}])

    message = problems(bad)

    assert "steps.0 (roll): {stable_checkpoint} is not known at this step" in message


def test_not_needed_when_is_checked_like_a_steps_check() -> None:
    bad = minimal(
        not_needed_when=[
            {"kind": "breaker", "model": "qwen", "state": "ajar"},
            {"kind": "routed_elsewhere", "mode": "creative", "serve_with": "fast"},
            {"kind": "reboot"},
            {"kind": "current_checkpoint", "checkpoint": "{stable_checkpoint}"},
        ]
    )

    message = problems(bad)

    assert "(restart_qwen).not_needed_when.0.state: Input should be 'open'" in message
    assert "not_needed_when.1.serve_with: unknown key" in message
    assert "not_needed_when.2: Input tag 'reboot'" in message
    references = problems(minimal(not_needed_when=[bad["not_needed_when"][3]]))
    assert (
        "not_needed_when.0 (current_checkpoint): {stable_checkpoint} is not known before "
        "the first step" in references
    )
    shipped = load_definitions()["qwen_failure_downshift"].not_needed_when
    assert [check.kind for check in shipped] == ["routed_elsewhere", "breaker"]


def test_duplicates_and_non_mappings_are_refused() -> None:
    twice = minimal(steps=[minimal()["steps"][0], minimal()["steps"][0]])

    message = problems(twice, minimal(), minimal(), "qwen")

    assert "[0] (restart_qwen): steps.1.id: 'restart' is used by an earlier step" in message
    assert "[2] (restart_qwen).name: 'restart_qwen' is defined twice" in message
    assert "[3]: a runbook must be a mapping of keys" in message


def test_the_stable_checkpoint_is_the_newest_within_bounds_and_never_the_current() -> None:
    start = datetime(2026, 10, 14, tzinfo=UTC)

    def checkpoint(n: int, mean: float, std: float) -> Checkpoint:
        created = start + timedelta(hours=n)
        return Checkpoint(id=f"ppo-{n}", created_at=created, reward_mean=mean, reward_std=std)

    listing = [
        checkpoint(1, 30, 5),
        checkpoint(2, 35, 6),
        checkpoint(3, 150, 80),
        checkpoint(4, 40, 60),
        checkpoint(5, 32, 4),
    ]
    spec = StableCheckpoint(kind="stable_checkpoint")

    assert newest_stable(listing, current="ppo-3", spec=spec) == listing[4]
    assert newest_stable(listing, current="ppo-5", spec=spec) == listing[1]
    assert newest_stable(listing[2:4], current="ppo-3", spec=spec) is None


def test_histogram_quantile_matches_prometheus() -> None:
    buckets = {1.0: 50.0, 2.5: 90.0, 5.0: 100.0, float("inf"): 100.0}

    assert histogram_quantile(0.5, buckets) == pytest.approx(1.0)
    assert histogram_quantile(0.95, buckets) == pytest.approx(3.75)
    assert histogram_quantile(0.95, {1.0: 0.0, float("inf"): 0.0}) is None
    assert histogram_quantile(0.99, {1.0: 1.0, float("inf"): 10.0}) == 1.0
