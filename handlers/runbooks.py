"""``/runbook``, ``/health`` and the run message's buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.errors import InvalidInput
from bot.runbooks import RunbookService
from bot.serving.client import ServingClient, ServingError
from bot.serving.models import MODELS
from handlers.blocks.runbook import (
    RUNBOOK_HELP,
    RunbookAction,
    health_reply,
    run_message,
    runbook_list,
)
from handlers.blocks.text import escape, message
from handlers.errors import answers_errors
from handlers.payloads import BlockAction, SlashCommand

USAGE = "Usage: `/runbook run <name> [--dry-run] [--incident INC-ID] [target]`."


async def run_runbook_command(
    command: SlashCommand, *, runbooks: RunbookService
) -> dict[str, Any] | None:
    """One ``/runbook`` subcommand; None when the run's own message is the answer."""
    words = command.text.split()
    word = words[0].lower() if words else "help"
    rest = words[1:]
    if word == "help":
        return message(RUNBOOK_HELP)
    if word == "list":
        return runbook_list(runbooks.list_definitions())
    if word == "run":
        dry_run = "--dry-run" in rest
        names = [w for w in rest if w != "--dry-run"]
        incident_id = None
        if "--incident" in names:
            at = names.index("--incident")
            if at + 1 >= len(names):
                raise InvalidInput("Say which incident: `--incident INC-20251014-103000`.")
            incident_id = names[at + 1]
            del names[at : at + 2]
        if not names or len(names) > 2:
            raise InvalidInput(USAGE)
        await runbooks.start(
            name=names[0],
            requester=command.user_id,
            dry_run=dry_run,
            target=names[1] if len(names) == 2 else None,
            incident_id=incident_id,
            origin_channel=command.channel_id,
        )
        return None
    if word in ("status", "cancel"):
        if len(rest) != 1:
            raise InvalidInput(f"Usage: `/runbook {word} <RUN-ID>`.")
        if word == "status":
            return run_message(await runbooks.get(run_id=rest[0]))
        run = await runbooks.cancel(run_id=rest[0], actor=command.user_id)
        return message(f"⏹️ {escape(run.id)} is {run.state.label}.")
    raise InvalidInput(f"Unknown subcommand {word[:40]!r}.\n{RUNBOOK_HELP}")


async def model_health(text: str, *, serving: ServingClient) -> dict[str, Any]:
    model = text.strip().lower()
    if model and model not in MODELS:
        raise InvalidInput(f"Unknown model {model[:40]!r}: one of {', '.join(MODELS)}.")
    try:
        overview = await serving.all_models_health()
        details = [await serving.model_health(model)] if model else []
    except ServingError as exc:
        raise InvalidInput(f"The serving process did not answer: {exc}") from None
    return health_reply(overview, details)


def _run_and_step(value: str | None) -> tuple[str, str | None]:
    run_id, _, step = (value or "").partition("|")
    return run_id, step or None


def register_runbook_handlers(
    app: AsyncApp, *, runbooks: RunbookService, serving: ServingClient
) -> None:
    @app.command("/runbook")
    @answers_errors
    async def on_runbook(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        reply = await run_runbook_command(SlashCommand.model_validate(body), runbooks=runbooks)
        if reply is not None:
            await respond(response_type="ephemeral", **reply)

    @app.command("/health")
    @answers_errors
    async def on_health(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        command = SlashCommand.model_validate(body)
        await respond(
            response_type="ephemeral", **await model_health(command.text, serving=serving)
        )

    @app.action(RunbookAction.APPROVE.value)
    @answers_errors
    async def on_approve(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        run_id, step = _run_and_step(action.action.value)
        await runbooks.approve(run_id=run_id, actor=action.user.id, step=step)

    @app.action(RunbookAction.DENY.value)
    @answers_errors
    async def on_deny(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        run_id, step = _run_and_step(action.action.value)
        await runbooks.deny(run_id=run_id, actor=action.user.id, step=step)

    @app.action(RunbookAction.CANCEL.value)
    @answers_errors
    async def on_cancel(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        await runbooks.cancel(run_id=action.action.value or "", actor=action.user.id)

    @app.action(RunbookAction.RESUME_APPLIED.value)
    @answers_errors
    async def on_applied(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        await runbooks.resume(run_id=action.action.value or "", actor=action.user.id, applied=True)

    @app.action(RunbookAction.RESUME_RESEND.value)
    @answers_errors
    async def on_resend(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        await runbooks.resume(run_id=action.action.value or "", actor=action.user.id, applied=False)

    @app.action(RunbookAction.START.value)
    @answers_errors
    async def on_start(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        await runbooks.start(
            name=action.action.value or "",
            requester=action.user.id,
            origin_channel=action.channel_id,
        )
