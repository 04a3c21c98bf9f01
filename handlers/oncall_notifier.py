"""The on-call notifier for Slack: handoff posts, confirmations, and the on-call user group."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.notifier import MessageRef
from bot.oncall.handoff_message import HandoffMessage
from bot.settings import SreConfig
from handlers.blocks.oncall import handoff_blocks, handoff_unconfirmed_reply
from handlers.blocks.text import escape, message


class SlackOncallNotifier:
    def __init__(self, *, client: AsyncWebClient, config: SreConfig) -> None:
        self._client = client
        self._config = config

    async def handoff(self, handoff: HandoffMessage) -> MessageRef | None:
        response = await self._client.chat_postMessage(
            channel=self._config.channels.oncall,
            **handoff_blocks(handoff, self._config.zone),
        )
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))

    async def handoff_confirmed(self, handoff: HandoffMessage, ref: MessageRef) -> None:
        await self._client.chat_update(
            channel=ref.channel_id,
            ts=ref.ts,
            **handoff_blocks(handoff, self._config.zone),
        )

    async def handoff_unconfirmed(
        self, ref: MessageRef, *, outgoing: str, incoming: str
    ) -> MessageRef | None:
        waited = self._config.schedule.handoff_confirm_within
        response = await self._client.chat_postMessage(
            channel=ref.channel_id,
            thread_ts=ref.ts,
            **handoff_unconfirmed_reply(outgoing=outgoing, incoming=incoming, waited=waited),
        )
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))

    async def user_group(self, group_id: str, members: list[str]) -> None:
        await self._client.usergroups_users_update(usergroup=group_id, users=members)

    async def oncall_problem(self, text: str) -> None:
        await self._client.chat_postMessage(
            channel=self._config.channels.oncall, **message("⚠️ " + escape(text))
        )
