"""Rendering and sending the posts about runbook runs, recoveries and drills."""

from __future__ import annotations

from bot.oncall.service import OncallService
from bot.outbox import MessageRef, OwedPost
from bot.runbooks import Audience
from bot.runbooks.posts import (
    Drill,
    Recovery,
    RecoveryRestore,
    RunApproval,
    RunMessage,
    RunNotice,
    RunUpdate,
)
from bot.runbooks.service import RunbookService
from bot.settings import SreConfig
from handlers.blocks.runbook import (
    drill_summary,
    recovery_notice,
    recovery_restored,
    run_message,
    run_moved_text,
)
from handlers.blocks.text import Reply, escape, mention, mention_users, message
from handlers.errors import tell
from handlers.posts.slack import SlackPoster


class RunbookPosts:
    def __init__(
        self,
        *,
        slack: SlackPoster,
        config: SreConfig,
        runbooks: RunbookService,
        oncall: OncallService,
    ) -> None:
        self._slack = slack
        self._config = config
        self._runbooks = runbooks
        self._oncall = oncall

    async def _run_body(self, run_id: str) -> Reply:
        run = await self._runbooks.get(run_id=run_id)
        return run_message(run, approvers=self._config.runbooks.approvers)

    async def run_message(self, owed: OwedPost, post: RunMessage) -> MessageRef:
        body = await self._run_body(post.subject)

        async def elsewhere() -> str | None:
            # Started where the bot cannot post (a channel it is not in, a DM with someone
            # else): the run's message, and with it the Approve/Deny buttons and every reply,
            # goes to the incidents channel, and the requester is told where, so no run
            # waits unseen.
            return self._config.channels.incidents

        where = await self._slack.post_or_move(owed, body, elsewhere=elsewhere, reply=True)
        if where.refused is not None:
            run = await self._runbooks.get(run_id=post.subject)
            await tell(
                self._slack.client,
                user=run.requester,
                channel=None,
                reply=message(run_moved_text(run_id=run.id, channel=where.channel_id)),
            )
        return where

    async def run_update(self, owed: OwedPost, post: RunUpdate) -> MessageRef:
        return await self._slack.update(owed, await self._run_body(post.subject))

    async def approval(self, owed: OwedPost, post: RunApproval) -> MessageRef:
        # A mention in an edited message notifies nobody, so the ask is a reply of its own.
        who = " ".join(mention(a) for a in post.approvers)
        text = (
            f"✋ {who}: *{post.subject}* needs your approval: "
            f"{escape(post.step)} (Approve/Deny above)."
        )
        return await self._slack.post(owed, message(text), reply=True)

    async def notice(self, owed: OwedPost, post: RunNotice) -> MessageRef:
        prefix = ""
        if post.audience is Audience.ONCALL:
            paged = await self._oncall.who_is_paged(post.at)
            prefix = f"📟 {mention(paged)} " if paged else "📟 "
        # "{started_by}" of a run a person started is their user ID: shown as a mention.
        text = prefix + mention_users(post.text)
        return await self._slack.post(owed, message(text), reply=True)

    async def recovery(self, owed: OwedPost, post: Recovery) -> MessageRef:
        return await self._slack.post(owed, recovery_notice(post.model, notice_key=owed.key))

    async def recovery_restore(self, owed: OwedPost, post: RecoveryRestore) -> MessageRef:
        body = recovery_restored(post.model, run_id=post.run_id, by=post.by)
        return await self._slack.update(owed, body)

    async def drill(self, owed: OwedPost, post: Drill) -> MessageRef:
        body = drill_summary(reachable=post.reachable, lines=list(post.lines))
        return await self._slack.post(owed, body)
