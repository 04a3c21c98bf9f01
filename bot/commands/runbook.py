"""``python -m bot runbook list|execute`` and ``health`` (guide §5.2, §6.1, §11)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.app import Container
from bot.errors import InvalidInput
from bot.runbooks import RunState, definition_lines, run_lines
from bot.serving.client import ServingError
from bot.serving.models import MODELS


def register(commands: Any) -> None:
    runbook = commands.add_parser("runbook", help="runbooks that act on the serving process")
    actions = runbook.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="the runbooks, how automatic, their steps")
    execute = actions.add_parser("execute", help="run one now (an approval step waits in Slack)")
    execute.add_argument("name")
    execute.add_argument("--dry-run", action="store_true", help="show every call, make none")
    execute.add_argument("--target", help="what to act on, when the runbook allows several")
    health = commands.add_parser("health", help="model health from the serving process")
    health.add_argument("model", nargs="?", choices=MODELS)


async def run(args: argparse.Namespace, container: Container) -> int:
    runbooks = container.runbooks
    if args.action == "list":
        for definition in runbooks.list_definitions():
            print("\n".join(definition_lines(definition)))
            print()
        return 0
    started = await runbooks.start(
        name=args.name,
        requester="cli",
        dry_run=args.dry_run,
        target=args.target,
        origin_channel=container.config.channels.oncall,
    )
    print("\n".join(run_lines(started)))
    if started.state is RunState.WAITING_APPROVAL:
        print(
            "Waiting for an approver: Approve/Deny in Slack, or `/runbook status "
            + started.id
            + "`."
        )
    return 0 if started.state in (RunState.SUCCEEDED, RunState.WAITING_APPROVAL) else 1


async def health(args: argparse.Namespace, container: Container) -> int:
    """Guide §6.1: the JSON of ``/health/llm?model=`` or ``/health/llm/all``."""
    try:
        if args.model:
            answer: Any = await container.serving.model_health(args.model)
        else:
            answer = await container.serving.all_models_health()
    except ServingError as exc:
        raise InvalidInput(
            f"The serving process at {container.env.SERVING_URL} did not answer: {exc}"
        ) from None
    print(json.dumps(answer.model_dump(mode="json"), indent=2))
    return 0
