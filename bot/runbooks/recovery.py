"""The recovery notice's restore: started once, whoever presses it and however often.

The notice (``Recovery``) names the runbook that restores what the downshift changed. The
first press starts it and owes the notice's edit (``RecoveryRestore``), which is also the
record that a restore began; a later press, on the same or a stale copy of the notice,
answers with that run and starts nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.clock import Clock
from bot.errors import AlreadyRestored, InvalidInput
from bot.outbox import PostKind
from bot.outbox.owing import owe_one, read_row
from bot.runbooks.model import Run
from bot.runbooks.posts import Recovery, RecoveryRestore, recovery_restore_key
from bot.runbooks.service import RunbookService
from storage import outbox
from storage.db import Database


class Recoveries:
    def __init__(
        self, *, db: Database, clock: Clock, runbooks: RunbookService, owed: Callable[[], None]
    ) -> None:
        self._db = db
        self._clock = clock
        self._runbooks = runbooks
        self._owed = owed

    async def restore(self, *, notice_key: str, actor: str, channel: str | None) -> Run:
        """Start the restore the notice ``notice_key`` offers, unless one was started."""
        notice = await self._notice(notice_key)
        run = await self._runbooks.start(
            name=notice.runbook,
            requester=actor,
            incident_id=notice.incident_id,
            origin_channel=channel,
        )
        restored = RecoveryRestore(
            key=recovery_restore_key(notice_key),
            subject=notice.subject,
            thread_key=notice_key,
            model=notice.model,
            run_id=run.id,
            by=actor,
        )
        async with self._db.transaction() as session:
            await owe_one(session, restored, at=self._clock.now())
        self._owed()
        return run

    async def _notice(self, notice_key: str) -> Recovery:
        async with self._db.transaction() as session:
            row = await outbox.get(session, notice_key)
            if row is None or row.kind != PostKind.RUNBOOK_RECOVERY.value:
                raise InvalidInput("That recovery notice is not one I posted. Nothing changed.")
            done = await outbox.get(session, recovery_restore_key(notice_key))
            if done is not None:
                restore = read_row(RecoveryRestore, done)
                raise AlreadyRestored(model=restore.model, run_id=restore.run_id, by=restore.by)
            return read_row(Recovery, row)
