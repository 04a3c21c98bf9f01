"""The incident notifier for Slack: the card in the incidents channel, kept up to date."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.model import Incident
from bot.incidents.notifier import MessageRef
from bot.settings import SreConfig
from handlers.blocks.chase import escalation_reply, postmortem_nudge_reply, reminder_reply
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


POST_EVENT = "artisan_sre_post"


class SlackChaseNotifier:
    """Reminders, escalations and postmortem nudges, each a reply in the card's thread."""

    def __init__(self, *, client: AsyncWebClient, config: SreConfig) -> None:
        self._client = client
        self._config = config

    async def _reply(
        self, incident: Incident, reply: dict[str, object], key: str
    ) -> MessageRef | None:
        channel = incident.channel_id or self._config.channels.incidents
        response = await self._client.chat_postMessage(
            channel=channel,
            thread_ts=incident.message_ts,
            metadata={"event_type": POST_EVENT, "event_payload": {"key": key}},
            **reply,  # type: ignore[arg-type]
        )
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))

    async def find_posted(self, incident: Incident, *, key: str) -> MessageRef | None:
        """Look for the post carrying ``key`` in the incident's thread."""
        if incident.channel_id is None or incident.message_ts is None:
            return None
        response = await self._client.conversations_replies(
            channel=incident.channel_id,
            ts=incident.message_ts,
            include_all_metadata=True,
            limit=200,
        )
        for item in response.get("messages") or []:
            payload = (item.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return MessageRef(channel_id=incident.channel_id, ts=str(item["ts"]))
        return None

    async def reminder(
        self, incident: Incident, *, number: int, elapsed: timedelta, oncall: str | None, key: str
    ) -> MessageRef | None:
        return await self._reply(
            incident, reminder_reply(incident, elapsed=elapsed, oncall=oncall), key
        )

    async def escalation(
        self,
        incident: Incident,
        *,
        level: int,
        elapsed: timedelta,
        respond_within: timedelta,
        people: list[str],
        user_group: str | None,
        broadcast: bool,
        key: str,
    ) -> MessageRef | None:
        reply = escalation_reply(
            incident,
            level=level,
            elapsed=elapsed,
            respond_within=respond_within,
            people=people,
            user_group=user_group,
            broadcast=broadcast,
        )
        return await self._reply(incident, reply, key)

    async def postmortem_nudge(
        self, incident: Incident, *, days: int, key: str
    ) -> MessageRef | None:
        return await self._reply(incident, postmortem_nudge_reply(incident, days=days), key)
