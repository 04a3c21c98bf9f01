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
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.clock import owed_since
from bot.errors import SreError
from bot.runbooks.model import RunState
from bot.runbooks.service import RunbookService
from bot.serving.client import ServingClient, ServingError
from bot.serving.models import Mode
from bot.settings import SreConfig
from bot.slo.duties import latest_fire_time
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)

DRILL_WAIT = 120.0
"""Seconds the drill waits for its dry runs (driven by the runs job) before its summary."""


DOWNSHIFT = "qwen_failure_downshift"
RESTORE = "qwen_restore_creative"
MODEL = "qwen"
FAILURES_TO_ACT = 3
PROBE_ACTOR = "health-probe"
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
    ) -> None:
        self._db = db
        self._config = config
        self._serving = serving
        self._runbooks = runbooks
        self._owed = owed
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
        if await self._downshifted():
            await self._announce_recovery(now)
        return "healthy"

    async def _downshifted(self) -> bool:
        try:
            routing = await self._serving.routing()
        except ServingError:
            return False
        return routing.serving(Mode.CREATIVE) != Mode.CREATIVE

    async def _start_downshift(self) -> str:
        try:
            run = await self._runbooks.start(
                name=DOWNSHIFT, requester=PROBE_ACTOR, origin_channel=self._config.channels.oncall
            )
        except SreError as exc:  # already running: nothing more to do
            return f"not started: {exc.message}"
        self.failures = 0
        return f"started {run.id}"

    async def _announce_recovery(self, now: datetime) -> None:
        runs = [
            r
            for r in await self._runbooks.list_runs(active_only=False, limit=50)
            if r.runbook == DOWNSHIFT and r.state is RunState.SUCCEEDED and not r.dry_run
        ]
        key = f"recovery:{runs[0].id if runs else 'manual'}"
        async with self._db.transaction() as session:
            owed = await outbox.owe(
                session,
                key=key,
                kind="recovery",
                subject=MODEL,
                at=now,
                channel=self._config.channels.oncall,
                detail={"model": MODEL, "runbook": RESTORE},
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
        if self._trigger is None:
            return False
        since = owed_since(now - timedelta(days=1), self._not_before)
        due = latest_fire_time(self._trigger, now=now, since=since)
        if due is None:
            return False
        key = f"drill:{due.isoformat()}"
        # The dry runs come first and the summary is owed after them: a crash in between
        # repeats dry runs (harmless, they change nothing) but never posts two summaries.
        async with self._db.transaction() as session:
            if await outbox.get(session, key) is not None:
                return False
        reachable, lines = await self.drill()
        async with self._db.transaction() as session:
            owed = await outbox.owe(
                session,
                key=key,
                kind="drill",
                subject="runbooks",
                at=now,
                channel=self._config.channels.oncall,
                detail={"reachable": reachable, "lines": lines},
            )
        if owed:
            self._owed()
        return owed

    async def drill(self) -> tuple[str | None, list[str]]:
        """Dry-run every runbook in the on-call channel; whether the target answered (None)
        or why not, and a line per runbook."""
        reachable: str | None = None
        try:
            await self._serving.live()
        except ServingError as exc:
            reachable = str(exc)
        started: list[tuple[str, str]] = []
        refused: dict[str, str] = {}
        for definition in self._runbooks.list_definitions():
            try:
                run = await self._runbooks.start(
                    name=definition.name,
                    requester=PROBE_ACTOR,
                    dry_run=True,
                    origin_channel=self._config.channels.oncall,
                )
                started.append((definition.name, run.id))
            except SreError as exc:
                refused[definition.name] = f"could not dry-run: {exc.message}"
        # The runs job drives the dry runs (all at once); the summary tells how they went.
        runs = await self._runbooks.settled(run_ids=[i for _, i in started], within=DRILL_WAIT)
        outcomes = {
            name: f"{run.id} {run.state.label}"
            for (name, _), run in zip(started, runs, strict=True)
        }
        lines = [
            f"• {d.name}: {outcomes.get(d.name) or refused.get(d.name, '')}"
            for d in self._runbooks.list_definitions()
        ]
        return reachable, lines
