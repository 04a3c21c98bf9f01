"""Owing posts: the one way a decision becomes a row of the outbox.

A post is owed in the transaction that decided it (``on``), as its kind and its facts;
``Wakeup`` is rung after that commits, so the deliverer sends it now rather than at its
next poll.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter

from bot.outbox.model import ENVELOPE, OwedPost, Post
from storage import outbox
from storage.db import Executor

P = TypeVar("P", bound=Post)


async def owe(on: Executor, *posts: Post, at: datetime) -> set[str]:
    """Owe ``posts`` in one statement; the keys not owed already (by us earlier, or by
    another process a moment ago): a decision taken twice owes one post."""
    return await outbox.owe_all(on, [_row(post, at) for post in posts])


async def owe_one(on: Executor, post: Post, *, at: datetime) -> bool:
    """Owe ``post``; False when its key was owed already."""
    return bool(await owe(on, post, at=at))


async def owe_again(on: Executor, post: Post, *, at: datetime) -> None:
    """Owe an edit once more: changes before the deliverer comes round make one edit,
    rendered from the latest facts."""
    await outbox.owe_again(on, _row(post, at))


async def record(on: Executor, post: Post, *, at: datetime) -> bool:
    """Keep a decision under ``post``'s key without posting it (a first status seen, a
    silent handoff, a confirmation); False when it was taken already."""
    return bool(await outbox.owe_all(on, [_row(post, at, state=outbox.DECIDED)]))


def facts(post: Post) -> dict[str, Any]:
    """What ``post`` carries besides its envelope, as stored (JSON)."""
    facts: dict[str, Any] = _adapter(type(post)).dump_python(
        post, mode="json", exclude=set(ENVELOPE)
    )
    return facts


def _row(post: Post, at: datetime, *, state: str = outbox.PENDING) -> outbox.Owed:
    return outbox.Owed(
        key=post.key,
        kind=post.kind.value,
        subject=post.subject,
        at=at,
        channel=post.channel,
        detail=facts(post),
        thread_key=post.thread_key,
        state=state,
    )


_ADAPTERS: dict[type[Post], TypeAdapter[Any]] = {}


def _adapter(kind: type[Post]) -> TypeAdapter[Any]:
    """The (de)serialiser of ``kind``, built once per kind."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def read_as(
    kind: type[P],
    *,
    key: str,
    subject: str,
    channel: str | None,
    thread_key: str | None,
    facts: dict[str, Any],
) -> P:
    """``facts`` stored for a post of ``kind``, read back into it (ValueError if they do
    not fit: a row written by another version, say)."""
    envelope = {"key": key, "subject": subject, "channel": channel, "thread_key": thread_key}
    post: P = _adapter(kind).validate_python(facts | envelope)
    return post


def read_owed(kind: type[P], owed: OwedPost) -> P:
    """A leased post read back as the post of ``kind`` it was owed as."""
    return read_as(
        kind,
        key=owed.key,
        subject=owed.subject,
        channel=owed.channel,
        thread_key=owed.thread_key,
        facts=owed.facts,
    )


def read_row(kind: type[P], row: outbox.PostRow) -> P:
    """A stored row read back as the post of ``kind`` it was owed as."""
    return read_as(
        kind,
        key=row.key,
        subject=row.subject,
        channel=row.channel,
        thread_key=row.thread_key,
        facts=dict(row.detail or {}),
    )
