"""``/oncall`` and the handoff's "I've got it" button."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
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
from handlers.blocks.text import mention, message
from handlers.errors import answers_errors
from handlers.payloads import BlockAction, SlashCommand

# Slack sends a mention as <@U123|name> when the command escapes users, <@U123> otherwise.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_POOLS = {"weekday", "weekend"}


class SlackDirectory:
    """Whether a user exists, asked of Slack (``users.info``)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def exists(self, user_id: str) -> bool:
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                return False
            raise
        user = response.get("user") or {}
        return not user.get("deleted", False)


def parse_user(token: str) -> str:
    match = _MENTION.match(token)
    if match:
        return match.group(1)
    if _USER_ID.match(token):
        return token
    raise InvalidInput(
        f"{token[:40]!r} is not a person: mention them, e.g. `/oncall override @alice 18:00`."
    )


async def run_oncall(
    command: SlashCommand,
    *,
    oncall: OncallService,
    handoffs: HandoffService,
    client: AsyncWebClient,
) -> dict[str, Any]:
    word, _, rest = command.text.strip().partition(" ")
    word = word.lower() or "now"
    zone = oncall.rotation.zone
    if word == "help":
        return message(ONCALL_HELP)
    if word == "now":
        return now_reply(await oncall.now(), zone)
    if word == "schedule":
        return schedule_reply(oncall.schedule(weeks=4), zone)
    if word == "report":
        return fatigue_reply(await oncall.fatigue_report())
    if word == "handoff":
        await handoffs.post_now(actor=command.user_id)
        return message("🔁 Posted the handoff message in the on-call channel.")
    if word == "override":
        parts = rest.split()
        if len(parts) < 2:
            raise InvalidInput("Usage: `/oncall override @user <until> [weekday|weekend]`.")
        pool = parts[-1].lower() if parts[-1].lower() in _POOLS else None
        until = " ".join(parts[1:-1] if pool else parts[1:])
        override = await oncall.override(
            user=parse_user(parts[0]),
            until=until,
            actor=command.user_id,
            pool=pool,
            directory=SlackDirectory(client),
        )
        await handoffs.sync_user_group()
        return message(
            f"↪️ {mention(override.user)} covers the {override.pool.value} pool until "
            f"<!date^{int(override.end.timestamp())}^{{date_short_pretty}} {{time}}|{override.end:%Y-%m-%d %H:%M} UTC>."
        )
    raise InvalidInput(f"Unknown subcommand {word[:40]!r}.\n{ONCALL_HELP}")


def register_oncall_handlers(
    app: AsyncApp, *, oncall: OncallService, handoffs: HandoffService
) -> None:
    @app.command("/oncall")
    @answers_errors
    async def on_oncall(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        reply = await run_oncall(
            SlashCommand.model_validate(body), oncall=oncall, handoffs=handoffs, client=client
        )
        await respond(response_type="ephemeral", **reply)

    @app.action(OncallAction.CONFIRM_HANDOFF.value)
    @answers_errors
    async def on_confirm(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        await handoffs.confirm(key=action.action.value or "", actor=action.user.id)
