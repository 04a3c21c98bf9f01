"""``/oncall`` and the handoff's "I've got it" button."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InvalidInput
from bot.oncall.handoffs import HandoffService
from bot.oncall.service import OncallService
from handlers.blocks.oncall import (
    ONCALL_HELP,
    OncallAction,
    fatigue_reply,
    now_reply,
    schedule_reply,
)
from handlers.blocks.text import Reply, mention, message, user_in, when
from handlers.listeners import Listeners
from handlers.payloads import BlockAction, SlashCommand
from handlers.people import SlackDirectory
from handlers.subcommands import SubcommandRouter

OVERRIDE_USAGE = "/oncall override @user <until> [weekday|weekend]"
_POOLS = {"weekday", "weekend"}


def parse_user(token: str) -> str:
    user = user_in(token)
    if user is None:
        raise InvalidInput(
            f"{token[:40]!r} is not a person: mention them, e.g. `/oncall override @alice 18:00`."
        )
    return user


@dataclass(frozen=True)
class OncallCommands:
    """What each ``/oncall`` subcommand does; no word means ``now``."""

    oncall: OncallService
    handoffs: HandoffService
    client: AsyncWebClient

    def router(self) -> SubcommandRouter:
        router = SubcommandRouter("/oncall", help_text=ONCALL_HELP, default="now")
        router.add("now", self.now)
        router.add("schedule", self.schedule)
        router.add("report", self.report)
        router.add("handoff", self.handoff)
        router.add("override", self.override, usage=OVERRIDE_USAGE, min_words=2)
        return router

    async def now(self, command: SlashCommand, rest: str) -> Reply:
        return now_reply(await self.oncall.now(), self.oncall.rotation.zone)

    async def schedule(self, command: SlashCommand, rest: str) -> Reply:
        return schedule_reply(self.oncall.schedule(weeks=4), self.oncall.rotation.zone)

    async def report(self, command: SlashCommand, rest: str) -> Reply:
        return fatigue_reply(await self.oncall.fatigue_report())

    async def handoff(self, command: SlashCommand, rest: str) -> Reply:
        await self.handoffs.post_now(actor=command.user_id)
        return message("🔁 Posted the handoff message in the on-call channel.")

    async def override(self, command: SlashCommand, rest: str) -> Reply:
        parts = rest.split()
        pool = parts[-1].lower() if parts[-1].lower() in _POOLS else None
        until = " ".join(parts[1:-1] if pool else parts[1:])
        override = await self.oncall.override(
            user=parse_user(parts[0]),
            until=until,
            actor=command.user_id,
            pool=pool,
            directory=SlackDirectory(self.client),
        )
        await self.handoffs.sync_user_group()
        return message(
            f"↪️ {mention(override.user)} covers the {override.pool.value} pool until "
            f"{when(override.end)}."
        )


def register_oncall_handlers(
    listeners: Listeners, *, oncall: OncallService, handoffs: HandoffService
) -> None:
    commands = OncallCommands(oncall=oncall, handoffs=handoffs, client=listeners.client)
    listeners.command(
        "/oncall",
        commands.router().dispatch,
        outcome="An override or handoff may or may not have been made: check `/oncall` "
        "before you repeat it.",
    )

    async def confirm(action: BlockAction) -> None:
        await handoffs.confirm(key=action.action.value or "", actor=action.user.id)

    listeners.action(
        OncallAction.CONFIRM_HANDOFF.value,
        confirm,
        outcome="The handoff may or may not have been confirmed: its message shows what is stored.",
    )
