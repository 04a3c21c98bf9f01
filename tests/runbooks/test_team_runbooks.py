"""A runbook a team writes in sre.yaml, no code: a configured command behind an approval."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bot.runbooks.definitions import load_definitions
from bot.runbooks.model import RunState, StepState
from tests.runbooks.conftest import ServiceFactory


def restart_qwen(marker: Path) -> dict[str, Any]:
    """As it would sit under runbooks.definitions in sre.yaml."""
    script = f"open({str(marker)!r}, 'a').write('restarted\\n'); print('qwen restarted')"
    return {
        "name": "restart_qwen",
        "description": "Restart the Qwen worker.",
        "target": "qwen",
        "steps": [
            {"id": "approve", "type": "approval", "title": "Approve the restart", "ttl": "10m"},
            {
                "id": "restart",
                "type": "action",
                "title": "Restart Qwen",
                "action": {"kind": "command", "argv": [sys.executable, "-c", script]},
            },
        ],
    }


async def test_a_team_runbook_runs_its_command_once_after_approval(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    marker = tmp_path / "restarts.log"
    service = make_service(definitions=load_definitions([restart_qwen(marker)]))

    dry = await service.start(name="restart_qwen", requester="U0AAA", dry_run=True)
    assert dry.steps[1].state is StepState.PLANNED
    assert dry.steps[1].call is not None and dry.steps[1].call["argv"][0] == sys.executable
    assert not marker.exists()

    waiting = await service.start(name="restart_qwen", requester="U0AAA")
    assert waiting.state is RunState.WAITING_APPROVAL and not marker.exists()
    run = await service.approve(run_id=waiting.id, actor="U0DDD", step="approve")

    assert run.state is RunState.SUCCEEDED
    assert run.steps[1].detail == "exit status 0: qwen restarted"
    assert marker.read_text() == "restarted\n"
    assert [d.name for d in service.list_definitions()][-1] == "rl_reward_runaway_rollback"


async def test_a_failing_command_fails_the_run_with_its_output(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    runbook = restart_qwen(tmp_path / "unused")
    runbook["steps"] = [
        {
            "id": "restart",
            "type": "action",
            "title": "Restart Qwen",
            "action": {
                "kind": "command",
                "argv": [sys.executable, "-c", "import sys; sys.exit('no such worker')"],
            },
        }
    ]
    service = make_service(definitions=load_definitions([runbook]))

    run = await service.start(name="restart_qwen", requester="U0AAA")

    assert run.state is RunState.FAILED
    assert "exit status 1: no such worker" in run.note
