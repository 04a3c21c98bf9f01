"""Runbook runs tell people through the outbox: one message per run, its asks and notices.

The run's message is owed when the run is created (in its incident's thread when it has
one, else where it was started) and brought up to date after every change; approval asks
and notices are replies under it, so they wait until it is out. The outbox remembers
where the message went on the run (``message_posted``), for the buttons and for updates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.clock import Clock
from bot.incidents.service import card_key
from bot.outbox import MessageRef, OwedPost
from bot.runbooks.model import Run, StepRecord
from bot.runbooks.steps import Audience
from storage import outbox
from storage import runbooks as repo
from storage.db import Database, Executor

MESSAGE = "run.message"
UPDATE = "run.update"
APPROVAL = "run.approval"
NOTICE = "run.notice"


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

    async def run_changed(self, run: Run) -> MessageRef | None:
        now = self._clock.now()
        async with self._db.transaction() as session:
            first = await outbox.owe(
                session,
                key=message_key(run.id),
                kind=MESSAGE,
                subject=run.id,
                at=now,
                channel=run.origin_channel or self._channel,
                thread_key=card_key(run.incident_id) if run.incident_id else None,
            )
            if not first:
                await outbox.owe_again(
                    session,
                    key=f"run-update:{run.id}",
                    kind=UPDATE,
                    subject=run.id,
                    at=now,
                    thread_key=message_key(run.id),
                )
        self._owed()
        return None

    async def approval_requested(
        self, run: Run, step: StepRecord, approvers: Sequence[str]
    ) -> None:
        await self._reply(
            run,
            key=f"run-approval:{run.id}:{step.step_id}",
            kind=APPROVAL,
            detail={"step": step.title, "approvers": list(approvers)},
        )

    async def notify(self, run: Run, *, audience: Audience, text: str) -> None:
        now = self._clock.now()
        await self._reply(
            run,
            key=f"run-notice:{run.id}:{now.isoformat()}:{len(text)}",
            kind=NOTICE,
            detail={"audience": audience.value, "text": text, "at": now.isoformat()},
        )

    async def _reply(self, run: Run, *, key: str, kind: str, detail: dict[str, object]) -> None:
        async with self._db.transaction() as session:
            await outbox.owe(
                session,
                key=key,
                kind=kind,
                subject=run.id,
                at=self._clock.now(),
                channel=run.origin_channel or self._channel,
                detail=detail,
                thread_key=message_key(run.id),
            )
        self._owed()

    @staticmethod
    async def message_posted(on: Executor, post: OwedPost, ref: MessageRef) -> None:
        """The outbox sent the run's message: remember where, for updates and buttons."""
        await repo.set_message(on, post.subject, ref.channel_id, ref.ts)
