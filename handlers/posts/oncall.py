"""Rendering and sending the posts about on-call: handoffs and problems."""

from __future__ import annotations

from bot.oncall.handoffs import HandoffService
from bot.oncall.posts import (
    Handoff,
    HandoffReminder,
    HandoffUpdate,
    OncallProblem,
    OverrideNotice,
)
from bot.outbox import MessageRef, OwedPost
from bot.settings import SreConfig
from handlers.blocks.oncall import handoff_blocks, handoff_unconfirmed_reply, override_notice
from handlers.blocks.text import escape, message
from handlers.posts.slack import SlackPoster


class OncallPosts:
    def __init__(self, *, slack: SlackPoster, config: SreConfig, handoffs: HandoffService) -> None:
        self._slack = slack
        self._config = config
        self._handoffs = handoffs

    async def handoff(self, owed: OwedPost, post: Handoff) -> MessageRef:
        message_ = await self._handoffs.compose(at=post.at, key=post.key)
        return await self._slack.post(owed, handoff_blocks(message_, self._config.zone))

    async def handoff_update(self, owed: OwedPost, post: HandoffUpdate) -> MessageRef:
        message_ = await self._handoffs.compose(
            at=post.at, key=post.handoff, confirmed_by=post.confirmed_by
        )
        return await self._slack.update(owed, handoff_blocks(message_, self._config.zone))

    async def handoff_reminder(self, owed: OwedPost, post: HandoffReminder) -> MessageRef:
        body = handoff_unconfirmed_reply(
            outgoing=str(post.outgoing),
            incoming=str(post.incoming),
            waited=self._config.schedule.handoff_confirm_within,
        )
        return await self._slack.post(owed, body, reply=True)

    async def problem(self, owed: OwedPost, post: OncallProblem) -> MessageRef:
        return await self._slack.post(owed, message("⚠️ " + escape(post.text)))

    async def override(self, owed: OwedPost, post: OverrideNotice) -> MessageRef:
        body = override_notice(
            pool=post.pool,
            user=post.user,
            until=post.until,
            by=post.by,
            replaces=post.replaces,
            replaces_override=post.replaces_override,
            zone=self._config.zone,
        )
        return await self._slack.post(owed, body)
