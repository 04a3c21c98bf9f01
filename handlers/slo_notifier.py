"""The SLO notifier for Slack: digests and status notices in the SLO digest channel.

The digest is one top-level message (Block Kit) with the budget chart uploaded into its
thread (``files_upload_v2``: getUploadURLExternal → upload → completeUploadExternal), so
the channel gets one post per digest and the chart stays next to the numbers it shows.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.slo.budget import SloStatus
from bot.slo.duties import Posted
from bot.slo.evaluation import SloResult
from bot.slo.service import SloSnapshot
from handlers.blocks.slo import digest_blocks, status_notice_blocks

log = logging.getLogger(__name__)

CHART_FILENAME = "slo-budget.png"


class SlackSloNotifier:
    def __init__(self, *, client: AsyncWebClient, channel: str) -> None:
        self._client = client
        self._channel = channel

    async def post_digest(self, snapshot: SloSnapshot, *, chart: bytes | None) -> Posted:
        response = await self._client.chat_postMessage(
            channel=self._channel, **digest_blocks(snapshot, chart_in_thread=chart is not None)
        )
        posted = Posted(channel=str(response["channel"]), ts=str(response["ts"]))
        if chart is None:
            return posted
        # The digest is out; a failed chart must not make the caller post it a second time.
        try:
            await self._client.files_upload_v2(
                channel=posted.channel,
                thread_ts=posted.ts,
                file=chart,
                filename=CHART_FILENAME,
                title=f"Error budget left, {snapshot.at:%Y-%m-%d %H:%M} UTC",
                initial_comment="Error budget left over each SLO's window.",
            )
        except Exception:
            log.exception("the SLO digest went out without its chart")
        return posted

    async def post_status_notice(self, result: SloResult, *, previous: SloStatus) -> Posted:
        response = await self._client.chat_postMessage(
            channel=self._channel, **status_notice_blocks(result, previous)
        )
        return Posted(channel=str(response["channel"]), ts=str(response["ts"]))
