"""``/runbook``, ``/health`` and the run message's buttons."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.runbooks.recovery import Recoveries
from bot.runbooks.service import RunbookService
from bot.serving.client import ServingClient, ServingError
from bot.serving.models import MODELS
from handlers.blocks.errors import NOTHING_CHANGED
from handlers.blocks.runbook import (
    RUNBOOK_HELP,
    RunbookAction,
    health_reply,
    run_message,
    runbook_list,
)
from handlers.blocks.text import Reply, escape, message
from handlers.listeners import Listeners
from handlers.payloads import BlockAction, SlashCommand
from handlers.subcommands import SubcommandRouter

RUN_USAGE = "/runbook run <name> [--dry-run] [--incident INC-ID] [target]"
STATUS_USAGE = "/runbook status <RUN-ID> [--full]"
_CLICK_OUTCOME = "It may or may not have taken effect: the run's message shows where it stands."


@dataclass(frozen=True)
class RunbookCommands:
    """What each ``/runbook`` subcommand does."""

    runbooks: RunbookService

    def router(self) -> SubcommandRouter:
        router = SubcommandRouter("/runbook", help_text=RUNBOOK_HELP)
        router.add("list", self.list)
        router.add("run", self.run, usage=RUN_USAGE, min_words=1)
        router.add("status", self.status, usage=STATUS_USAGE, min_words=1, max_words=2)
        router.add(
            "cancel", self.cancel, usage="/runbook cancel <RUN-ID>", min_words=1, max_words=1
        )
        return router

    async def list(self, command: SlashCommand, rest: str) -> Reply:
        return runbook_list(self.runbooks.list_definitions())

    async def run(self, command: SlashCommand, rest: str) -> None:
        """Starts the run; the run's own message is the answer."""
        words = rest.split()
        dry_run = "--dry-run" in words
        names = [w for w in words if w != "--dry-run"]
        incident_id = None
        if "--incident" in names:
            at = names.index("--incident")
            if at + 1 >= len(names):
                raise InvalidInput("Say which incident: `--incident INC-20251014-103000`.")
            incident_id = names[at + 1]
            del names[at : at + 2]
        if not names or len(names) > 2:
            raise InvalidInput(f"Usage: `{RUN_USAGE}`")
        await self.runbooks.start(
            name=names[0],
            requester=command.user_id,
            dry_run=dry_run,
            target=names[1] if len(names) == 2 else None,
            incident_id=incident_id,
            origin_channel=command.channel_id,
        )

    async def status(self, command: SlashCommand, rest: str) -> Reply:
        words = rest.split()
        full = "--full" in words
        run_ids = [w for w in words if w != "--full"]
        if len(run_ids) != 1:
            raise InvalidInput(f"Usage: `{STATUS_USAGE}`")
        return run_message(await self.runbooks.get(run_id=run_ids[0]), full=full)

    async def cancel(self, command: SlashCommand, rest: str) -> Reply:
        run = await self.runbooks.cancel(run_id=rest, actor=command.user_id)
        return message(f"⏹️ {escape(run.id)} is {run.state.label}.")


async def model_health(text: str, *, serving: ServingClient) -> Reply:
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
    listeners: Listeners,
    *,
    runbooks: RunbookService,
    recoveries: Recoveries,
    serving: ServingClient,
) -> None:
    listeners.command(
        "/runbook",
        RunbookCommands(runbooks).router().dispatch,
        outcome="A run may or may not have started or stopped: check the run's message "
        "or `/runbook status <RUN-ID>` before you repeat it.",
    )

    async def health(command: SlashCommand) -> Reply:
        return await model_health(command.text, serving=serving)

    listeners.command("/health", health, outcome=NOTHING_CHANGED)

    async def approve(action: BlockAction) -> None:
        run_id, step = _run_and_step(action.action.value)
        await runbooks.approve(run_id=run_id, actor=action.user.id, step=step)

    async def deny(action: BlockAction) -> None:
        run_id, step = _run_and_step(action.action.value)
        await runbooks.deny(run_id=run_id, actor=action.user.id, step=step)

    async def cancel(action: BlockAction) -> None:
        await runbooks.cancel(run_id=action.action.value or "", actor=action.user.id)

    async def applied(action: BlockAction) -> None:
        await runbooks.resume(run_id=action.action.value or "", actor=action.user.id, applied=True)

    async def resend(action: BlockAction) -> None:
        await runbooks.resume(run_id=action.action.value or "", actor=action.user.id, applied=False)

    async def restore(action: BlockAction) -> None:
        await recoveries.restore(
            notice_key=action.action.value or "",
            actor=action.user.id,
            channel=action.channel_id,
        )

    async def start(action: BlockAction) -> None:
        name, _, incident_id = (action.action.value or "").partition("|")
        await runbooks.start(
            name=name,
            requester=action.user.id,
            incident_id=incident_id or None,
            origin_channel=action.channel_id,
        )

    for action_id, run in (
        (RunbookAction.APPROVE, approve),
        (RunbookAction.DENY, deny),
        (RunbookAction.CANCEL, cancel),
        (RunbookAction.RESUME_APPLIED, applied),
        (RunbookAction.RESUME_RESEND, resend),
        (RunbookAction.START, start),
        (RunbookAction.RESTORE, restore),
    ):
        listeners.action(action_id.value, run, outcome=_CLICK_OUTCOME)
