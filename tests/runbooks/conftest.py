"""Runbook fixtures: the real stand-in over HTTP, the real database, a recording notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import select

import storage.runbooks  # noqa: F401  (registers the runbook tables until storage/tables does)
from bot.clock import FixedClock
from bot.incidents.service import IncidentService
from bot.runbooks.job import LANES
from bot.runbooks.model import Run, StepRecord
from bot.runbooks.service import RunbookService
from bot.runbooks.steps import Audience
from bot.serving.client import ServingClient
from bot.work.worker import Worker
from sandbox.serving.standin import StandinState
from storage.db import Database, Executor
from storage.tables import AuditRow
from tests.serving.conftest import Standin, running_standin

APPROVERS = ["U0AAA", "U0BBB", "U0DDD"]


@dataclass
class RecordingNotifier:
    """Speaks RunNotifier and keeps what a Slack channel would have shown."""

    posts: int = 0
    shown: dict[str, list[Run]] = field(default_factory=dict)  # run id -> every rendering
    approvals: list[tuple[str, str, list[str]]] = field(default_factory=list)
    notices: list[tuple[str, Audience, str]] = field(default_factory=list)
    told_steps: set[tuple[str, int]] = field(default_factory=set)

    async def run_changed(self, on: Executor, run: Run) -> None:
        if run.id not in self.shown:
            self.posts += 1  # the run's one message; every later change edits it
        self.shown.setdefault(run.id, []).append(run)

    async def approval_requested(
        self, on: Executor, run: Run, step: StepRecord, approvers: Sequence[str]
    ) -> None:
        self.approvals.append((run.id, step.step_id, list(approvers)))

    def sent(self) -> None:
        return None

    async def notify(self, run: Run, *, step: int, audience: Audience, text: str) -> None:
        if (run.id, step) not in self.told_steps:  # owed once per step, as the outbox does
            self.told_steps.add((run.id, step))
            self.notices.append((run.id, audience, text))

    def last(self, run_id: str) -> Run:
        return self.shown[run_id][-1]


async def no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with running_standin(StandinState(seed=7)) as running:
        yield running


@pytest.fixture
async def serving(standin: Standin) -> AsyncIterator[ServingClient]:
    async with ServingClient(base_url=standin.url, timeout=2.0, retry_backoff=0.01) as client:
        yield client


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def incidents(db: Database, clock: FixedClock) -> IncidentService:
    return IncidentService(db=db, clock=clock)


class DrivenRunbooks(RunbookService):
    """The service as a person finds each run once the runs worker has driven what the call
    owed it (until the run ends or waits for a person), as a running bot's worker soon does.

    The worker is drained in the caller's task, so cancelling a call cancels its driving
    too: the process dying in the middle of a step."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.runs = Worker(self.job, lanes=LANES)

    async def _driven(self, run: Run) -> Run:
        await self.runs.drain(within=60)
        return await self.get(run_id=run.id)

    async def start(self, **arguments: Any) -> Run:  # type: ignore[override]
        return await self._driven(await super().start(**arguments))

    async def approve(self, **arguments: Any) -> Run:  # type: ignore[override]
        return await self._driven(await super().approve(**arguments))

    async def resume(self, **arguments: Any) -> Run:  # type: ignore[override]
        return await self._driven(await super().resume(**arguments))

    async def recover(self) -> list[Run]:
        """What this process's worker takes up of what another left (a restart): the runs
        it moved, as they stand after."""
        before = {run.id: run.version for run in await self.list_runs(limit=1000)}
        await self.runs.drain(within=60)
        after = await self.list_runs(active_only=False, limit=1000)
        return [run for run in after if run.id in before and before[run.id] != run.version]


ServiceFactory = Callable[..., DrivenRunbooks]


@pytest.fixture
def make_service(
    db: Database,
    clock: FixedClock,
    serving: ServingClient,
    incidents: IncidentService,
    notifier: RecordingNotifier,
) -> ServiceFactory:
    """Fresh service objects over the same database (a restart is a second call)."""

    def build(**overrides: Any) -> DrivenRunbooks:
        options: dict[str, Any] = {
            "db": db,
            "clock": clock,
            "serving": serving,
            "incidents": incidents,
            "approvers": APPROVERS,
            "notifier": notifier,
            "sleep": no_sleep,
        }
        return DrivenRunbooks(**(options | overrides))

    return build


@pytest.fixture
def service(make_service: ServiceFactory) -> DrivenRunbooks:
    return make_service()


async def admin_posts(standin: Standin, route: str = "/admin") -> list[dict[str, Any]]:
    """Every change the serving process received (the stand-in's request log)."""
    return await standin.logged(method="POST", prefix=route)


async def clear_faults(standin: Standin) -> None:
    async with standin.http.delete(f"{standin.url}/_standin/faults") as response:
        assert response.status == 200


async def audit_actions(db: Database, run_id: str) -> list[tuple[str, str]]:
    async with db.transaction() as session:
        rows = (await session.execute(select(AuditRow).where(AuditRow.subject == run_id))).scalars()
        return [(row.actor, row.action) for row in rows]
