"""``python -m bot runbook list|execute`` and ``health`` (docs/shell.md, docs/guide.md#runbooks)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.app import Container
from bot.commands.shell import shell_command
from bot.errors import HINT, Hint, NoVerdict, SreError
from bot.people import look_up
from bot.runbooks.cli_text import definition_lines, people_in, run_lines
from bot.runbooks.model import Run, RunState
from bot.runbooks.store import DRIVEN
from bot.serving.client import ServingError
from bot.serving.models import AllModelsHealth, ModelHealth, ModelStatus
from bot.urls import masked_url

RUN_WITHIN = 600.0
"""Seconds the command waits for its run to end or to wait for a person."""


async def _driven(container: Container, run: Run) -> Run:
    """The run once driven until it ends or waits for a person: by this process's runs
    worker, or, if a running bot took it first, by that bot (then it is waited for)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RUN_WITHIN
    while True:
        await container.runs.drain(within=max(deadline - loop.time(), 0.0))
        run = await container.runbooks.get(run_id=run.id)
        if run.state not in DRIVEN or loop.time() >= deadline:
            return run
        await asyncio.sleep(0.2)  # another process drives it: look again shortly


async def _lines(container: Container, run: Run) -> str:
    """``run`` as the shell prints it, people by name."""
    return "\n".join(run_lines(run, await look_up(container.people, people_in(run))))


async def run(args: argparse.Namespace, container: Container) -> int:
    runbooks = container.runbooks
    if args.action == "list":
        for definition in runbooks.list_definitions():
            print("\n".join(definition_lines(definition)))
            print()
        return 0
    if args.action == "status":
        found = await runbooks.get(run_id=args.run_id)
        if args.json:
            print(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
        else:
            print(await _lines(container, found))
        return 0
    if args.action == "cancel":
        cancelled = await runbooks.cancel(run_id=args.run_id, actor=args.actor, reason=args.reason)
        print(await _lines(container, cancelled))
        return 0
    definition = runbooks.definition(name=args.name)
    if definition.needs_approval and not args.dry_run and container.slack is None:
        # Refused before the run exists: no row, no lock, nothing waiting for a message
        # that no process here could post.
        raise SreError(
            f"{definition.name} has an approval step, and its approver is asked in Slack: "
            "without Slack (SLACK_BOT_TOKEN) nobody could approve it, so nothing was started. "
            "Set SLACK_BOT_TOKEN (and SRE_CONFIG's channels) to post its approval message, "
            f"or see every call it would make with `{HINT}`.",
            hint=Hint("runbook", "execute", (definition.name, "--dry-run")),
        )
    started = await runbooks.start(
        name=args.name,
        requester="cli",
        dry_run=args.dry_run,
        target=args.target,
        origin_channel=container.config.channels.oncall,
    )
    started = await _driven(container, started)
    print(await _lines(container, started))
    if started.state is RunState.WAITING_APPROVAL:
        status = shell_command(Hint("runbook", "status", (started.id,)))
        print(
            f"{started.id} waits for an approver: Approve/Deny in Slack; "
            f"`{status}` shows where it is."
        )
    fine = (RunState.SUCCEEDED, RunState.NOT_NEEDED, RunState.WAITING_APPROVAL)
    return 0 if started.state in fine else 1


async def health(args: argparse.Namespace, container: Container) -> int:
    """The JSON of ``/health/llm?model=`` or ``/health/llm/all`` (docs/guide.md#model-health-json).

    Exit 0 when every model asked about can serve (healthy, or degraded but
    inference-ready), 1 when one cannot, 2 when the serving process gave no answer. One
    read, no retries: a hung server is reported after the client's timeout, not three.
    """
    serving = container.serving
    answer: ModelHealth | AllModelsHealth
    try:
        if args.model:
            answer = await serving.model_health(args.model, retries=0)
        else:
            answer = await serving.all_models_health(retries=0)
    except ServingError as exc:
        raise NoVerdict(
            f"No health verdict: the serving process at "
            f"{masked_url(container.env.SERVING_URL)} did not answer ({exc})."
        ) from None
    print(json.dumps(answer.model_dump(mode="json"), indent=2))
    if isinstance(answer, ModelHealth):
        down = (
            []
            if answer.inference_ready and answer.status is not ModelStatus.UNHEALTHY
            else [answer.model_name]
        )
    else:
        down = sorted(name for name, status in answer.models.items() if status == "unhealthy")
    if down:
        print(f"cannot serve: {', '.join(down)}", file=sys.stderr)
        return 1
    return 0
