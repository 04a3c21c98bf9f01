"""``/slo check | report | <name> | help``: ack at once, evaluate, answer via
``response_url``.

Who sees the answer:

- ``check`` and ``report`` go ``in_channel``: the deploy verdict is a team decision, and
  everyone in the channel should read the same answer that gates the deploy.
- ``<name>`` and ``help`` are ``ephemeral``: a personal drill-down, not news.
- Refusals (unknown SLO or subcommand, extra words) are ephemeral, as every refusal is.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.slo.service import SloService
from handlers.blocks.errors import NOTHING_CHANGED
from handlers.blocks.slo import report_blocks, slo_detail_blocks, slo_help, verdict_blocks
from handlers.blocks.text import Reply
from handlers.listeners import Listeners, in_channel
from handlers.payloads import SlashCommand
from handlers.subcommands import SubcommandRouter


@dataclass(frozen=True)
class SloCommands:
    """What each ``/slo`` word does."""

    slo: SloService

    def router(self) -> SubcommandRouter:
        router = SubcommandRouter(
            "/slo", help_text="Try `/slo check`, `/slo report` or `/slo <name>`."
        )
        router.add("help", self.help)
        router.add("check", self.check, max_words=0)
        router.add("report", self.report, max_words=0)
        # Any other word names an SLO; an unknown name is refused with the known ones.
        router.otherwise(self.one, usage="/slo <name>", max_words=1)
        return router

    async def help(self, command: SlashCommand, rest: str) -> Reply:
        return slo_help([definition.name for definition in self.slo.definitions])

    async def check(self, command: SlashCommand, rest: str) -> Reply:
        return in_channel(verdict_blocks(await self.slo.snapshot()))

    async def report(self, command: SlashCommand, rest: str) -> Reply:
        return in_channel(report_blocks(await self.slo.snapshot()))

    async def one(self, command: SlashCommand, name: str) -> Reply:
        return slo_detail_blocks(await self.slo.evaluate(name.lower()))


def register_slo_handlers(listeners: Listeners, *, slo: SloService) -> None:
    """Wire ``/slo`` into the Bolt app."""
    listeners.command("/slo", SloCommands(slo=slo).router().dispatch, outcome=NOTHING_CHANGED)
