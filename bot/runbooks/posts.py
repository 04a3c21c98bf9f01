"""Runbook runs tell people through the outbox: one message per run, its asks and notices.

The run's message is owed when the run is created (in its incident's thread when it has
one, else where it was started) and brought up to date after every change; approval asks
and notices are replies under it, so they wait until it is out. The outbox remembers
where the message went on the run (``message_posted``), for the buttons and for updates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from bot.clock import Clock
from bot.incidents.posts import card_key
from bot.outbox import MessageRef, OwedPost, Post, PostKind
from bot.outbox.owing import owe, owe_again
from bot.runbooks.model import Run, StepRecord
from bot.runbooks.steps import Audience
from storage import runbooks as repo
from storage.db import Database, Executor


@dataclass(frozen=True, kw_only=True)
class RunMessage(Post):
    """The run's one message, with its steps and the Approve/Deny buttons; rendered from
    the run as stored when it is delivered."""

    kind = PostKind.RUN_MESSAGE


@dataclass(frozen=True, kw_only=True)
class RunUpdate(Post):
    """The run's message brought up to date: newer changes coalesce into one edit."""

    kind = PostKind.RUN_UPDATE
    new_message = False


@dataclass(frozen=True, kw_only=True)
class RunApproval(Post):
    """A step waits for a person: the approvers are asked in a reply of its own (a mention
    in an edited message notifies nobody)."""

    kind = PostKind.RUN_APPROVAL
    step: str
    approvers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RunNotice(Post):
    """A notify step's text, to the run's thread or the on-call paged at ``at``."""

    kind = PostKind.RUN_NOTICE
    audience: Audience
    text: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Recovery(Post):
    """``model`` is healthy again: ``runbook`` restores what the downshift changed, linked
    to the downshift's incident (``incident_id``) when it opened one. ``fallback`` is the
    mode that served creative when the recovery was seen (None from older versions)."""

    kind = PostKind.RUNBOOK_RECOVERY
    model: str
    runbook: str
    incident_id: str | None = None
    fallback: str | None = None


RECOVERED = "recovered"
"""The timeline action of a recovery told to the downshift's incident; its key is the
notice's (``recovery_key``), so the incident's card finds the notice and its button."""


def recovery_key(downshift_run_id: str | None) -> str:
    """The recovery notice's key: one per downshift (``manual`` without one)."""
    return f"recovery:{downshift_run_id or 'manual'}"


@dataclass(frozen=True, kw_only=True)
class RecoveryRestore(Post):
    """Someone pressed the recovery notice's restore (``thread_key``): the notice trades its
    button for the run that restores and who started it. Also the record that the restore
    was started, so a second press answers with this run instead of starting another."""

    kind = PostKind.RUNBOOK_RECOVERY_RESTORE
    new_message = False
    model: str
    run_id: str
    by: str


def recovery_restore_key(notice_key: str) -> str:
    return f"recovery-restore:{notice_key}"


@dataclass(frozen=True, kw_only=True)
class Drill(Post):
    """The monthly drill's summary: one line per runbook's dry run."""

    kind = PostKind.RUNBOOK_DRILL
    reachable: str | None
    lines: tuple[str, ...] = ()


RUNBOOK_POSTS = (RunMessage, RunUpdate, RunApproval, RunNotice, Recovery, RecoveryRestore, Drill)


def message_key(run_id: str) -> str:
    return f"run:{run_id}"


class RunPosts:
    """The ``RunNotifier`` that owes every post to the outbox."""

    def __init__(
        self, *, db: Database, clock: Clock, channel: str, owed: Callable[[], None]
    ) -> None:
        """``channel`` is where a run started without a channel or incident goes (on-call)."""
        self._db = db
        self._clock = clock
        self._channel = channel
        self._owed = owed

    async def run_changed(self, on: Executor, run: Run) -> None:
        now = self._clock.now()
        message = RunMessage(
            key=message_key(run.id),
            subject=run.id,
            channel=run.origin_channel or self._channel,
            thread_key=card_key(run.incident_id) if run.incident_id else None,
        )
        if not await owe(on, message, at=now):
            update = RunUpdate(
                key=f"run-update:{run.id}", subject=run.id, thread_key=message_key(run.id)
            )
            await owe_again(on, update, at=now)

    async def approval_requested(
        self, on: Executor, run: Run, step: StepRecord, approvers: Sequence[str]
    ) -> None:
        ask = RunApproval(
            **self._reply(run, key=f"run-approval:{run.id}:{step.step_id}"),
            step=step.title,
            approvers=tuple(approvers),
        )
        await owe(on, ask, at=self._clock.now())

    def sent(self) -> None:
        self._owed()

    async def notify(self, run: Run, *, step: int, audience: Audience, text: str) -> None:
        now = self._clock.now()
        notice = RunNotice(
            **self._reply(run, key=f"run-notice:{run.id}:{step}"),
            audience=audience,
            text=text,
            at=now,
        )
        async with self._db.transaction() as session:
            await owe(session, notice, at=now)
        self._owed()

    def _reply(self, run: Run, *, key: str) -> _Reply:
        """Where a reply about ``run`` goes: under its message."""
        return {
            "key": key,
            "subject": run.id,
            "channel": run.origin_channel or self._channel,
            "thread_key": message_key(run.id),
        }

    @staticmethod
    async def message_posted(on: Executor, post: OwedPost, ref: MessageRef) -> None:
        """The outbox sent the run's message: remember where, for updates and buttons."""
        await repo.set_message(on, post.subject, ref.channel_id, ref.ts)


class _Reply(TypedDict):
    key: str
    subject: str
    channel: str
    thread_key: str
