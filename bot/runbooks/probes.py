"""Health probes and runbook drills: the scheduler watches Qwen and rehearses the runbooks.

Three failed Qwen probes in a row start ``qwen_failure_downshift`` once: not while a run of
it is active, and not while creative is already served elsewhere. When Qwen answers healthy
again during a downshift, the on-call channel is told once, with a button that starts the
approval-gated restore. The failure count lives in the leading scheduler's memory: after a
failover the new leader counts from zero, which delays a downshift by at most three probes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.clock import owed_since
from bot.errors import SreError
from bot.incidents.service import IncidentService
from bot.outbox.owing import owe_one
from bot.runbooks.model import Run, RunState
from bot.runbooks.posts import RECOVERED, Drill, Recovery, recovery_key
from bot.runbooks.service import RunbookService
from bot.runbooks.starters import HEALTH_PROBE, StartedBy
from bot.runbooks.store import DRIVEN
from bot.serving.client import ServingClient, ServingError
from bot.serving.models import Mode
from bot.settings import SreConfig
from bot.slo.duties import latest_fire_time
from storage import drills, outbox
from storage.db import Database

log = logging.getLogger(__name__)

DRILL_WAIT = timedelta(minutes=2)
"""How long after its dry runs started a drill's summary waits for them to end, on the bot's
clock: a later tick then owes it with the runs as they stand."""
DRILL_START = timedelta(minutes=5)
"""How long a tick's claim on starting a drill's dry runs lasts: a start that died is taken
up again by a tick after it."""


@dataclass(frozen=True)
class DrillStart:
    """A drill's dry runs as started: ``reachable`` is None when the serving process
    answered (else why not); ``runs`` maps a runbook to its dry run's ID, ``refused`` to why
    it could not be dry-run."""

    reachable: str | None
    runs: dict[str, str]
    refused: dict[str, str]


DOWNSHIFT = "qwen_failure_downshift"
RESTORE = "qwen_restore_creative"
MODEL = "qwen"
FAILURES_TO_ACT = 3
PROBE_ACTOR = HEALTH_PROBE
# After starting a downshift (whatever came of it), wait this long before another: a
# serving process that is down altogether must not get a run every three probes.
COOL_DOWN = timedelta(minutes=15)


class QwenWatch:
    def __init__(
        self,
        *,
        db: Database,
        config: SreConfig,
        serving: ServingClient,
        runbooks: RunbookService,
        owed: Callable[[], None],
        incidents: IncidentService | None = None,
    ) -> None:
        """``incidents`` hears of a recovery, on the downshift's incident."""
        self._db = db
        self._config = config
        self._serving = serving
        self._runbooks = runbooks
        self._owed = owed
        self._incidents = incidents
        self.failures = 0
        self._last_start: datetime | None = None

    async def probe(self, now: datetime) -> str:
        check = await self._serving.check_model(MODEL)
        if not check.ok:
            self.failures += 1
            log.warning("%s probe failed (%d in a row): %s", MODEL, self.failures, check.reason)
            cooling = self._last_start is not None and now - self._last_start < COOL_DOWN
            if self.failures >= FAILURES_TO_ACT and not cooling and not await self._downshifted():
                self._last_start = now
                return await self._start_downshift()
            return f"failed {self.failures}"
        self.failures = 0
        fallback = await self._creative_fallback()
        if fallback is not None:
            await self._announce_recovery(now, fallback=fallback)
        return "healthy"

    async def _downshifted(self) -> bool:
        return await self._creative_fallback() is not None

    async def _creative_fallback(self) -> str | None:
        """The mode serving creative briefs while they are routed elsewhere; None when
        creative serves itself, or the routing cannot be read."""
        try:
            routing = await self._serving.routing()
        except ServingError:
            return None
        served_by = routing.serving(Mode.CREATIVE)
        return None if served_by == Mode.CREATIVE else served_by

    async def _start_downshift(self) -> str:
        try:
            run = await self._runbooks.start(
                name=DOWNSHIFT, requester=PROBE_ACTOR, origin_channel=self._config.channels.oncall
            )
        except SreError as exc:  # already running: nothing more to do
            return f"not started: {exc.message}"
        self.failures = 0
        return f"started {run.id}"

    async def _announce_recovery(self, now: datetime, *, fallback: str) -> None:
        runs = [
            r
            for r in await self._runbooks.list_runs(active_only=False, limit=50)
            if r.runbook == DOWNSHIFT and r.state is RunState.SUCCEEDED and not r.dry_run
        ]
        downshift = runs[0] if runs else None
        incident_id = downshift.incident_id if downshift else None
        recovery = Recovery(
            key=recovery_key(downshift.id if downshift else None),
            subject=MODEL,
            channel=self._config.channels.oncall,
            model=MODEL,
            runbook=RESTORE,
            incident_id=incident_id,
            fallback=fallback,
        )
        async with self._db.transaction() as session:
            owed = await owe_one(session, recovery, at=now)
            # The downshift's incident hears it too, in the same decision.
            if owed and incident_id is not None and self._incidents is not None:
                await self._incidents.tell(
                    session,
                    incident_id=incident_id,
                    key=recovery.key,
                    actor=PROBE_ACTOR,
                    action=RECOVERED,
                    note=f"{MODEL} answers healthy again; creative stays on {fallback} "
                    f"until {RESTORE} runs",
                )
        if owed:
            self._owed()


class Drills:
    """Runbooks are tested monthly (docs/guide.md#runbooks): a scheduled dry run of each.

    ``not_before``: no drill is owed for a fire time at or before it (``build_container``'s
    ``calendar_from``).
    """

    def __init__(
        self,
        *,
        db: Database,
        config: SreConfig,
        serving: ServingClient,
        runbooks: RunbookService,
        owed: Callable[[], None],
        not_before: datetime | None = None,
    ) -> None:
        self._db = db
        self._config = config
        self._serving = serving
        self._runbooks = runbooks
        self._owed = owed
        cron = config.schedule.runbook_drill
        # ``runbook_drill: off``: never due, though a drill may still be run on request.
        self._trigger = (
            None if cron is None else CronTrigger.from_crontab(cron, timezone=config.zone)
        )
        self._not_before = not_before

    async def drill_if_due(self, now: datetime) -> bool:
        """The due drill, one step a tick: start its dry runs (once per fire time), then, on
        a later tick once they ended (or ``DRILL_WAIT`` after they started), owe its summary.
        True on the tick that owed it. Nothing here waits for the runs: the runs job drives
        them, so the tick never holds up the duties after it."""
        if self._trigger is None:
            return False
        since = owed_since(now - timedelta(days=1), self._not_before)
        due = latest_fire_time(self._trigger, now=now, since=since)
        if due is None:
            return False
        key = f"drill:{due.isoformat()}"
        async with self._db.transaction() as session:
            if await outbox.get(session, key) is not None:
                return False  # summarised
            drill = await drills.get(session, key)
        if drill is None or drill.started_at is None:
            await self._start_once(key, now)
            return False
        return await self._summarise(key, drill, now)

    async def _start_once(self, key: str, now: datetime) -> None:
        """Claim the drill, then start its dry runs and record them. A process that dies
        in between leaves the claim to lapse, and a later tick starts them again (dry runs
        change nothing); a second tick or process finds the claim and does nothing."""
        async with self._db.transaction() as session:
            if not await drills.claim(session, key=key, now=now, until=now + DRILL_START):
                return
        started = await self.start()
        async with self._db.transaction() as session:
            await drills.record_started(
                session,
                key=key,
                at=now,
                reachable=started.reachable,
                runs=started.runs,
                refused=started.refused,
            )

    async def _summarise(self, key: str, drill: drills.DrillRow, now: datetime) -> bool:
        started = DrillStart(
            reachable=drill.reachable, runs=dict(drill.runs), refused=dict(drill.refused)
        )
        runs = await self._runbooks.settled(run_ids=list(started.runs.values()), within=0)
        waited = drill.started_at is not None and now - drill.started_at >= DRILL_WAIT
        if any(run.state in DRIVEN for run in runs) and not waited:
            return False  # a later tick, once the runs job has driven them
        # Keyed by the fire time: two ticks or two processes owe one summary.
        summary = Drill(
            key=key,
            subject="runbooks",
            channel=self._config.channels.oncall,
            reachable=started.reachable,
            lines=tuple(self._lines(started, runs)),
        )
        async with self._db.transaction() as session:
            owed = await owe_one(session, summary, at=now)
        if owed:
            self._owed()
        return owed

    async def start(self) -> DrillStart:
        """Dry-run every runbook in the on-call channel: stored and handed to the runs job,
        not driven here; whether the target answered and which runbook could not start."""
        reachable: str | None = None
        try:
            await self._serving.live()
        except ServingError as exc:
            reachable = str(exc)
        runs: dict[str, str] = {}
        refused: dict[str, str] = {}
        for definition in self._runbooks.list_definitions():
            try:
                run = await self._runbooks.start(
                    name=definition.name,
                    requester=PROBE_ACTOR,
                    dry_run=True,
                    origin_channel=self._config.channels.oncall,
                    started_by=StartedBy.drill(),
                )
                runs[definition.name] = run.id
            except SreError as exc:
                refused[definition.name] = f"could not dry-run: {exc.message}"
        return DrillStart(reachable=reachable, runs=runs, refused=refused)

    async def summary(self, started: DrillStart) -> list[str]:
        """A line per runbook: its dry run's ID and state as they stand, or why none ran."""
        runs = await self._runbooks.settled(run_ids=list(started.runs.values()), within=0)
        return self._lines(started, runs)

    def _lines(self, started: DrillStart, runs: list[Run]) -> list[str]:
        outcomes = {run.runbook: f"{run.id} {run.state.label}" for run in runs}
        return [
            f"• {d.name}: {outcomes.get(d.name) or started.refused.get(d.name, '')}"
            for d in self._runbooks.list_definitions()
        ]
