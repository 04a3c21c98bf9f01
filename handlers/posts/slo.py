"""Rendering and sending the posts about SLOs: the digest (with its chart) and notices."""

from __future__ import annotations

import logging
from datetime import tzinfo

from bot.outbox import MessageRef, NothingToSend, OwedPost
from bot.slo.duties import SloDuties
from bot.slo.posts import SloDigest, SloStatusNotice
from handlers.blocks.slo import digest_blocks, status_notice_blocks
from handlers.posts.slack import SlackPoster

log = logging.getLogger(__name__)

CHART_FILENAME = "slo-budget.png"


class SloPosts:
    def __init__(self, *, slack: SlackPoster, slo: SloDuties, zone: tzinfo) -> None:
        self._slack = slack
        self._slo = slo
        self._zone = zone

    async def digest(self, owed: OwedPost, post: SloDigest) -> MessageRef:
        snapshot, chart = await self._slo.digest_content(at=post.at)
        posted = await self._slack.post(
            owed, digest_blocks(snapshot, chart_in_thread=chart is not None)
        )
        if chart is not None:
            # The digest is out; a failed chart must not make the outbox post it again.
            try:
                await self._slack.client.files_upload_v2(
                    channel=posted.channel_id,
                    thread_ts=posted.ts,
                    file=chart,
                    filename=CHART_FILENAME,
                    title=f"Error budget left, {snapshot.at.astimezone(self._zone):%Y-%m-%d %H:%M %Z}",
                    initial_comment="Error budget left over each SLO's window.",
                )
            except Exception:
                log.exception("the SLO digest went out without its chart")
        return posted

    async def status(self, owed: OwedPost, post: SloStatusNotice) -> MessageRef:
        previous = post.previous
        if previous is None:  # a first status seen is a decision, never posted
            raise NothingToSend(f"{post.key} is the first status seen: nothing to announce")
        return await self._slack.post(owed, status_notice_blocks(post.result, previous))
