"""The incident notifier for Slack: the card in the incidents channel, kept up to date."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.model import Incident
from bot.incidents.notifier import MessageRef
from bot.settings import SreConfig
from handlers.blocks.incident import incident_card, incident_fallback, postmortem_draft_blocks


class SlackIncidentNotifier:
    def __init__(self, *, client: AsyncWebClient, config: SreConfig) -> None:
        self._client = client
        self._config = config

    def _card(self, incident: Incident) -> dict[str, object]:
        return {
            "text": incident_fallback(incident),
            "blocks": incident_card(
                incident, respond_within=self._config.respond_within(incident.severity)
            ),
        }

    async def incident_opened(self, incident: Incident) -> MessageRef | None:
        channel = self._config.channels.incidents
        response = await self._client.chat_postMessage(channel=channel, **self._card(incident))  # type: ignore[arg-type]
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))

    async def incident_changed(self, incident: Incident) -> None:
        if incident.channel_id is None or incident.message_ts is None:
            return
        await self._client.chat_update(
            channel=incident.channel_id,
            ts=incident.message_ts,
            **self._card(incident),  # type: ignore[arg-type]
        )

    async def postmortem_draft(self, incident: Incident, draft: str) -> None:
        channel = incident.channel_id or self._config.channels.incidents
        await self._client.chat_postMessage(
            channel=channel,
            thread_ts=incident.message_ts,
            **postmortem_draft_blocks(incident, draft),
        )
