"""``/slo check | report | <name> | help`` (SPEC §3): ack at once, evaluate, answer via
``response_url``.

Who sees the answer:

- ``check`` and ``report`` go ``in_channel``: the deploy verdict is a team decision, and
  everyone in the channel should read the same answer that gates the deploy.
- ``<name>`` and ``help`` are ``ephemeral``: a personal drill-down, not news.
- Refusals (unknown SLO or subcommand, extra words) are ephemeral, via ``answers_errors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.errors import InvalidInput
from bot.slo.service import SloService
from handlers.blocks.slo import report_blocks, slo_detail_blocks, slo_help, verdict_blocks
from handlers.errors import answers_errors
from handlers.payloads import SlashCommand

Reply = dict[str, Any]
Audience = Literal["in_channel", "ephemeral"]


@dataclass(frozen=True)
class SloCommands:
    """What each ``/slo`` word does; returns the reply and who should see it."""

    slo: SloService

    async def run(self, command: SlashCommand) -> tuple[Reply, Audience]:
        word, *rest = command.text.split() or [""]
        word = word.lower()
        names = [definition.name for definition in self.slo.definitions]
        if word in ("", "help"):
            return slo_help(names), "ephemeral"
        if rest:
            raise InvalidInput(
                f"`/slo {word[:40]}` takes no further words. Try `/slo check`, `/slo report` "
                "or `/slo <name>`."
            )
        if word == "check":
            return verdict_blocks(await self.slo.snapshot()), "in_channel"
        if word == "report":
            return report_blocks(await self.slo.snapshot()), "in_channel"
        # Raises InvalidInput naming the known SLOs when there is no such SLO.
        return slo_detail_blocks(await self.slo.evaluate(word)), "ephemeral"


def register_slo_handlers(app: AsyncApp, *, slo: SloService) -> None:
    """Wire ``/slo`` into the Bolt app."""
    commands = SloCommands(slo=slo)

    @app.command("/slo")
    @answers_errors
    async def on_slo(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()  # Prometheus may take seconds; Slack wants an answer within three
        reply, audience = await commands.run(SlashCommand.model_validate(body))
        await respond(response_type=audience, replace_original=False, **reply)
