"""The recovery notice's restore: started once, whoever presses it and however often.

The notice (``Recovery``) names the runbook that restores what the downshift changed. The
first press starts it and owes the notice's edit (``RecoveryRestore``), which is also the
record that a restore began; a later press, on the same or a stale copy of the notice,
answers with that run and starts nothing. The incident's card offers the same button (the
notice's key) while its model has recovered and no restore has started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.clock import Clock
from bot.errors import AlreadyRestored, InvalidInput
from bot.outbox import PostKind
from bot.outbox.owing import owe_one, read_row
from bot.runbooks.model import ACTIVE, Run, RunState
from bot.runbooks.posts import RECOVERED, Recovery, RecoveryRestore, recovery_restore_key
from bot.runbooks.service import RunbookService
from storage import incidents, outbox
from storage import runbooks as runs
from storage.db import Database


class RestoreStage(StrEnum):
    """How far putting creative back on its own model got, after the model recovered."""

    OFFERED = "offered"
    """No restore started: creative is still served by the fallback."""
    UNDER_WAY = "under_way"
    """A restore run is active (waiting for its approver, or changing the routing)."""
    RESTORED = "restored"
    """The restore run succeeded: creative is back on its own model."""
    NOT_RESTORED = "not_restored"
    """The restore run ended otherwise (denied, expired, failed, cancelled)."""


@dataclass(frozen=True)
class IncidentRecovery:
    """The newest recovery told to an incident, as its card shows it: the model, the mode
    that served creative then, the notice whose key the restore button carries, and the
    restore run linked to the incident since (``run_id``, who started it, its state)."""

    model: str
    fallback: str | None
    notice_key: str
    runbook: str
    stage: RestoreStage
    run_id: str | None = None
    run_state: RunState | None = None
    started_by: str | None = None


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

    async def get(self, *, incident_id: str) -> IncidentRecovery | None:
        """The newest recovery told to ``incident_id`` and where its restore stands, from
        what is stored (the timeline, the notice, the run), never from the serving
        process; None when no recovery was told to it. A restore started by the notice,
        the card or ``/runbook run … --incident`` counts alike."""
        async with self._db.transaction() as session:
            told = await incidents.latest_entry_of(session, incident_id, action=RECOVERED)
            if told is None or told.request_key is None:
                return None
            row = await outbox.get(session, told.request_key)
            if row is None or row.kind != PostKind.RUNBOOK_RECOVERY.value:
                return None
            notice = read_row(Recovery, row)
            run = await runs.latest_run_for(
                session, runbook=notice.runbook, incident_id=incident_id, since=told.at
            )
        recovery = IncidentRecovery(
            model=notice.model,
            fallback=notice.fallback,
            notice_key=told.request_key,
            runbook=notice.runbook,
            stage=RestoreStage.OFFERED,
        )
        if run is None:
            return recovery
        state = RunState(run.state)
        stage = (
            RestoreStage.UNDER_WAY
            if state in ACTIVE
            else RestoreStage.RESTORED
            if state is RunState.SUCCEEDED
            else RestoreStage.NOT_RESTORED
        )
        return replace(
            recovery, stage=stage, run_id=run.id, run_state=state, started_by=run.requester
        )

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
