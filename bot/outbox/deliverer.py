"""Delivering the outbox: lease a due post, send it with no transaction open, record it.

Order matters. The lease is committed before the send, so a second deliverer (another
process) leaves the row alone; the send happens outside any transaction, so a slow Slack
never holds a database lock that an acknowledgement is waiting for; the record comes
after, with what the post's kind must remember (a card's ts on its incident) written
first. A process killed between the send and the record leaves a row whose lease runs
out: the next attempt first looks the post up by its key (``Sender.find``) and only sends
when it is not there.

This is the ``outbox`` job: a ``bot.work.Worker`` runs its passes (wake-up, backoff, stop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.logs import FailureSummary
from bot.outbox.model import (
    ChannelClosed,
    MessageRef,
    NothingToSend,
    OwedPost,
    PostKind,
    Refusal,
    Sender,
    Undeliverable,
)
from storage import outbox
from storage.db import Database, Executor

log = logging.getLogger(__name__)

SentHook = Callable[[Executor, OwedPost, MessageRef], Awaitable[None]]
RefusedHook = Callable[[Refusal], None]

BATCH = 50
CONCURRENCY = 4
"""Posts sent at once per process (one subject's in order); so at most this many are in
flight when a process is killed."""
MAX_BACKOFF = timedelta(seconds=10)


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s, 8 s, then every 10 s: what Slack owes goes out within seconds of its
    return, at a cost of one call per owed post every 10 s while it is down."""
    return min(timedelta(seconds=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


REFUSED_EVERY = timedelta(minutes=5)
REFUSED_FOR = timedelta(days=2)


def refused_retry(post: OwedPost, now: datetime) -> datetime | None:
    """When a post its channel refused (``ChannelClosed``) is tried again: every 5 minutes
    for two days from when it was owed (a weekend for someone to invite the bot or unarchive
    the channel), then never. One call per refused post every 5 minutes."""
    if now - post.created_at >= REFUSED_FOR:
        return None
    return now + REFUSED_EVERY


class Deliverer:
    """The ``outbox`` job: sends what the outbox owes. A ``Worker`` runs it (one per
    process); several processes may share a database."""

    name = "outbox"

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        sender: Sender,
        lease: timedelta,
        on_sent: Mapping[PostKind, SentHook] | None = None,
        on_refused: RefusedHook | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._db = db
        self._clock = clock
        self._sender = sender
        self._lease = lease
        self._on_sent = {kind.value: hook for kind, hook in (on_sent or {}).items()}
        self._on_refused = on_refused
        self._slots = asyncio.Semaphore(concurrency)
        # One summary for Slack, not one line per post per attempt during an outage.
        self._slack_failures = FailureSummary(log, "Slack")
        self._sending: set[str] = set()  # this process's sends under way, whatever the lease

    async def work_due(self) -> int:
        """One pass: every due post this process could lease, sent (or dropped, or its
        failure recorded); returns how many were taken, so a drain goes on while any are."""
        now = self._clock.now()
        async with self._db.statements() as connection:
            ready = await self._ready(connection)
            rows = await outbox.lease_all(
                connection, [row.key for row in ready], now=now, until=now + self._lease
            )
            parents = {row.key: row.thread for row in ready}
            leased = {row.key for row in rows}
            # A reply taken with the post it replies under goes out right after it, in this
            # pass; unless another process took that one meanwhile: then it waits, as before.
            after = {
                row.key: parent.key
                for row in rows
                if (parent := parents[row.key]) is not None and parent.state == outbox.PENDING
            }
            orphans = [key for key, parent in after.items() if parent not in leased]
            if orphans:
                await outbox.release(connection, orphans)
        taken = [_owed(row, parents[row.key]) for row in rows if row.key not in orphans]
        self._sending.update(post.key for post in taken)
        if not taken:
            return 0
        # In order within a subject (an incident's card before its updates, a handoff before
        # the problem it ran into); different subjects at once, within ``concurrency``.
        by_subject: dict[str, list[OwedPost]] = {}
        for post in taken:
            by_subject.setdefault(post.subject, []).append(post)
        chains = [_replies_after(posts, after) for posts in by_subject.values()]
        return await self._each_subject(chains, after)

    async def _each_subject(self, subjects: list[list[OwedPost]], after: Mapping[str, str]) -> int:
        """Send each subject's posts, subjects at once, and end only when every send has.

        A cancel (a stop) reaches each send once, and the pass waits for them all: ``gather``
        would end at the first send cancelled and leave the others running past the stop,
        for the loop's end to cancel again inside the driver's close of the first cancel
        (on SQLite a close that never ends: a Ctrl-C that hung the demo).
        """
        sends = [asyncio.create_task(self._in_order(posts, after)) for posts in subjects]
        try:
            await asyncio.wait(sends)
        except asyncio.CancelledError:
            for send in sends:
                send.cancel()
            await asyncio.wait(sends)
            raise
        failures = [failure for send in sends if (failure := send.exception()) is not None]
        if failures:  # every one retrieved; the first is the pass's, as with gather
            raise failures[0]
        return sum(len(posts) for posts in subjects)

    async def _ready(self, connection: AsyncConnection) -> list[outbox.Due]:
        """Due posts nobody is sending, whose thread (if any) is out, with that thread's
        first message. Read, not leased: the lease after it is conditional.

        A reply whose thread is due now for the first time, about the same subject (a new
        card and the answer to whoever declared it), is taken with it, to go right after
        it. A thread that failed before is not: what replies under it waits until it is out,
        unleased, so a newer reminder can still supersede an older one meanwhile.
        """
        rows = await outbox.due(
            connection, now=self._clock.now(), limit=BATCH, excluding=self._sending
        )
        fresh = {row.key: row.subject for row in rows if row.attempts == 0}
        ready = []
        for row in rows:
            parent = row.thread
            if (
                parent is not None
                and parent.state == outbox.PENDING
                and fresh.get(parent.key) != row.subject
            ):
                continue  # a reply waits for the message it replies under
            ready.append(row)
        return ready

    async def _in_order(self, posts: list[OwedPost], after: Mapping[str, str]) -> int:
        """Send one subject's posts in turn, then record them together. What a post's kind
        remembers (its ``on_sent`` hook: a card's place on its incident) is written before
        anything replying under it is sent, so whoever reads the answer finds the card. A
        post that replies under one sent just before goes in its thread; if that one did
        not go out, it is given back untried; unless its channel refused it and there was no
        fallback: then it goes without a thread, carrying the refusal, to tell its reader."""
        went: dict[str, MessageRef | None] = {}
        refused: dict[str, Refusal] = {}
        sent: list[tuple[OwedPost, MessageRef | None]] = []
        remembered: set[str] = set()
        untried: list[str] = []
        try:
            for post in posts:
                parent = after.get(post.key)
                if parent is not None and parent in refused:
                    post = replace(post, thread=None, refused=refused[parent])
                elif parent is not None:
                    if parent not in went:
                        untried.append(post.key)
                        continue
                    if parent not in remembered:
                        remembered |= await self._remember(
                            [(done, ref) for done, ref in sent if done.key not in remembered]
                        )
                    post = replace(post, thread=went[parent])
                outcome = await self._attempt(post)
                if isinstance(outcome, Refusal):
                    refused[post.key] = outcome
                elif outcome is not None:
                    went[post.key] = outcome.ref
                    sent.append((post, outcome.ref))
            if sent:
                await self._record(sent, remembered)
            if untried:
                async with self._db.autocommit() as session:
                    await outbox.release(session, untried)
        finally:
            self._sending.difference_update(post.key for post in posts)
        return len(sent)

    async def _attempt(self, post: OwedPost) -> _Sent | Refusal | None:
        """Send ``post``; None when it did not go out (its drop or failure is recorded), its
        refusal when its channel refused it (retried slowly)."""
        async with self._slots:
            try:
                ref = await self._sender.find(post) if post.retried else None
                if ref is None:
                    ref = await self._sender.send(post)
            except NothingToSend as reason:
                await self._finish(post, drop=str(reason) or "no longer owed")
                return None
            except ChannelClosed as closed:
                return await self._refused(post, closed.refusal)
            except Undeliverable as refusal:
                log.error("gave up on %s: Slack refused it (%s)", post.key, refusal)
                await self._finish(post, failure=str(refusal))
                return None
            except Exception as exc:
                self._slack_failures.failed(f"could not post {post.key}: {exc}")
                retry_at = self._clock.now() + backoff(post.attempts)
                await self._finish(post, failure=f"{type(exc).__name__}: {exc}", retry_at=retry_at)
                return None
            self._slack_failures.recovered()
            if ref is not None and ref.refused is not None:
                self._moved(post, ref)
            return _Sent(ref)

    async def _refused(self, post: OwedPost, refusal: Refusal) -> Refusal:
        """Its channel refused ``post`` and nowhere else took it: said, counted, and retried
        on the slow schedule (``refused_retry``) until a person fixes the channel."""
        if self._on_refused is not None:
            self._on_refused(refusal)
        retry_at = refused_retry(post, self._clock.now())
        if retry_at is None:
            log.error(
                "gave up on %s (%s): Slack refused it in %s (%s) since %s",
                post.key,
                post.subject,
                refusal.channel,
                refusal.reason,
                post.created_at.isoformat(),
            )
        else:
            log.error(
                "%s (%s) not posted: Slack refused it in %s (%s) and nowhere else took it; "
                "retrying every %s (invite the bot or unarchive the channel)",
                post.key,
                post.subject,
                refusal.channel,
                refusal.reason,
                REFUSED_EVERY,
            )
        await self._finish(post, failure=f"ChannelClosed: {refusal.reason}", retry_at=retry_at)
        return refusal

    def _moved(self, post: OwedPost, ref: MessageRef) -> None:
        """``post`` went to a fallback because its channel refused it: said and counted."""
        assert ref.refused is not None
        if self._on_refused is not None:
            self._on_refused(ref.refused)
        log.warning(
            "%s (%s): Slack refused it in %s (%s); posted in %s instead",
            post.key,
            post.subject,
            ref.refused.channel,
            ref.refused.reason,
            ref.channel_id,
        )

    async def _remember(self, sent: list[tuple[OwedPost, MessageRef | None]]) -> set[str]:
        """Run the ``on_sent`` hooks of ``sent`` now (one transaction, none when no kind has
        one); the keys whose hooks are done."""
        hooked = [(post, ref) for post, ref in sent if self._on_sent.get(post.kind) and ref]
        if hooked:
            async with self._db.statements() as connection:
                for post, ref in hooked:
                    await self._on_sent[post.kind](connection, post, ref)
        return {post.key for post, _ in sent}

    async def _record(
        self, sent: list[tuple[OwedPost, MessageRef | None]], remembered: set[str]
    ) -> None:
        """What each kind remembers (its ``on_sent`` hook, unless done already), then the
        rows, in one statement: no transaction around them. A crash before the rows leaves
        them owed; a retry finds each post by its key and records it again, so a hook must
        be idempotent (set, not add)."""
        async with self._db.statements() as connection:
            for post, ref in sent:
                hook = self._on_sent.get(post.kind)
                if hook is not None and ref is not None and post.key not in remembered:
                    await hook(connection, post, ref)
            await outbox.record_sent(
                connection,
                [
                    outbox.Sent(
                        key=post.key,
                        generation=post.generation,
                        channel=ref.channel_id if ref else None,
                        ts=ref.ts if ref else None,
                    )
                    for post, ref in sent
                ],
            )
        for post, _ in sent:
            log.info("posted %s", post.key)

    async def _finish(
        self,
        post: OwedPost,
        *,
        drop: str | None = None,
        failure: str = "",
        retry_at: datetime | None = None,
    ) -> None:
        """Drop ``post``, or record its failure: tried again at ``retry_at``, or never."""
        async with self._db.autocommit() as session:  # one statement
            if drop is not None:
                await outbox.drop(session, key=post.key, reason=drop)
                return
            await outbox.record_failure(session, key=post.key, error=failure, retry_at=retry_at)


@dataclass(frozen=True)
class _Sent:
    """A post that went out, and where (None: it has no address, as an ephemeral answer)."""

    ref: MessageRef | None


def _replies_after(posts: list[OwedPost], after: Mapping[str, str]) -> list[OwedPost]:
    """``posts`` in their order, but a reply taken with the post it replies under right
    after that one (an edit owed the same instant as its card sorts before it by key)."""
    replies: dict[str, list[OwedPost]] = {}
    for post in posts:
        if post.key in after:
            replies.setdefault(after[post.key], []).append(post)
    ordered: list[OwedPost] = []

    def place(post: OwedPost) -> None:
        ordered.append(post)
        for reply in replies.pop(post.key, []):
            place(reply)

    for post in posts:
        if post.key not in after:
            place(post)
    for stranded in replies.values():  # under a post of another subject: never here
        ordered.extend(stranded)
    return ordered


def _owed(row: outbox.Leased, parent: outbox.Thread | None) -> OwedPost:
    """The post as leased: ``row.attempts`` counts this attempt already."""
    thread = None
    if parent is not None and parent.channel and parent.ts:
        thread = MessageRef(channel_id=parent.channel, ts=parent.ts)
    return OwedPost(
        key=row.key,
        kind=row.kind,
        subject=row.subject,
        created_at=row.claimed_at,
        channel=row.channel,
        facts=dict(row.detail or {}),
        thread_key=parent.key if parent is not None else None,
        thread=thread,
        attempts=row.attempts,
        generation=row.generation,
    )
