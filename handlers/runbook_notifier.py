"""Runbook runs in Slack: one message per run, updated in place; approvals and pages in its thread."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.notifier import MessageRef
from bot.incidents.service import IncidentService
from bot.oncall.service import OncallService
from bot.runbooks import Audience, Run, StepRecord
from bot.settings import SreConfig
from handlers.blocks.runbook import recovery_notice, run_message
from handlers.blocks.text import escape, mention, message


class SlackRunNotifier:
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        config: SreConfig,
        incidents: IncidentService,
        oncall: OncallService,
    ) -> None:
        self._client = client
        self._config = config
        self._incidents = incidents
        self._oncall = oncall
        # Where each run's message went, for steps that report before the run is re-read.
        self._posted: dict[str, MessageRef] = {}

    async def _home(self, run: Run) -> tuple[str, str | None]:
        """Where a run's message goes: its incident's thread, else where it was started."""
        if run.incident_id:
            incident = await self._incidents.get(incident_id=run.incident_id)
            if incident.channel_id and incident.message_ts:
                return incident.channel_id, incident.message_ts
        return run.origin_channel or self._config.channels.oncall, None

    def _where(self, run: Run) -> MessageRef | None:
        if run.message_channel and run.message_ts:
            return MessageRef(channel_id=run.message_channel, ts=run.message_ts)
        return self._posted.get(run.id)

    async def run_changed(self, run: Run) -> MessageRef | None:
        body = run_message(run, approvers=self._config.runbooks.approvers)
        where = self._where(run)
        if where is not None:
            await self._client.chat_update(channel=where.channel_id, ts=where.ts, **body)
            return where
        channel, thread = await self._home(run)
        response = await self._client.chat_postMessage(channel=channel, thread_ts=thread, **body)
        ref = MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))
        self._posted[run.id] = ref
        return ref

    async def _in_thread(self, run: Run, text: str) -> None:
        where = self._where(run)
        if where is not None:
            await self._client.chat_postMessage(
                channel=where.channel_id, thread_ts=where.ts, **message(text)
            )
        else:
            channel, thread = await self._home(run)
            await self._client.chat_postMessage(channel=channel, thread_ts=thread, **message(text))

    async def approval_requested(
        self, run: Run, step: StepRecord, approvers: Sequence[str]
    ) -> None:
        # A mention in an edited message notifies nobody, so the ask is a reply of its own.
        who = " ".join(mention(a) for a in approvers)
        await self._in_thread(
            run,
            f"✋ {who}: *{run.id}* needs your approval: {escape(step.title)} (Approve/Deny above).",
        )

    async def notify(self, run: Run, *, audience: Audience, text: str) -> None:
        prefix = ""
        if audience is Audience.ONCALL:
            paged = await self._oncall.who_is_paged(run.updated_at)
            prefix = f"📟 {mention(paged)} " if paged else "📟 "
        await self._in_thread(run, prefix + escape(text))


class SlackProbeNotifier:
    """The health probe's recovery notice and the monthly drill's summary, in the on-call channel."""

    def __init__(self, *, client: AsyncWebClient, config: SreConfig) -> None:
        self._client = client
        self._config = config

    async def recovered(self, *, model: str, restore_runbook: str) -> MessageRef:
        response = await self._client.chat_postMessage(
            channel=self._config.channels.oncall, **recovery_notice(model, restore_runbook)
        )
        return MessageRef(channel_id=str(response["channel"]), ts=str(response["ts"]))

    async def drill_summary(self, *, reachable: str | None, lines: list[str]) -> None:
        target = (
            "✅ the serving process answered"
            if reachable is None
            else f"🚨 the serving process did not answer ({escape(reachable)})"
        )
        text = (
            "🧪 *Monthly runbook drill* (dry runs, nothing changed): "
            + target
            + "\n"
            + escape("\n".join(lines))
        )
        await self._client.chat_postMessage(channel=self._config.channels.oncall, **message(text))
