"""Runs between the domain and their rows: one place that knows both shapes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.runbooks.definitions import RunbookDefinition
from bot.runbooks.model import Run, RunState, StepRecord, StepState
from storage.runbooks import RunbookRunRow, RunbookStepRow


def run_from_rows(row: RunbookRunRow, steps: Sequence[RunbookStepRow]) -> Run:
    return Run(
        id=row.id,
        runbook=row.runbook,
        target=row.target,
        requester=row.requester,
        state=RunState(row.state),
        definition=RunbookDefinition.model_validate(row.definition),
        steps=[
            StepRecord(
                index=s.idx,
                step_id=s.step_id,
                kind=s.kind,
                title=s.title,
                state=StepState(s.state),
                started_at=s.started_at,
                finished_at=s.finished_at,
                expires_at=s.expires_at,
                call=s.call,
                detail=s.detail,
                decided_by=s.decided_by,
                answer=s.answer,
            )
            for s in steps
        ],
        created_at=row.created_at,
        updated_at=row.updated_at,
        dry_run=row.dry_run,
        incident_id=row.incident_id,
        origin_channel=row.origin_channel,
        message_channel=row.message_channel,
        message_ts=row.message_ts,
        current=row.current_step,
        values=dict(row.context or {}),
        note=row.note,
        finished_at=row.finished_at,
        version=row.version,
    )


def run_row(run: Run) -> RunbookRunRow:
    return RunbookRunRow(
        id=run.id,
        runbook=run.runbook,
        target=run.target,
        requester=run.requester,
        definition=run.definition.model_dump(mode="json"),
        dry_run=run.dry_run,
        origin_channel=run.origin_channel,
        created_at=run.created_at,
        **run_columns(run),
    )


def run_columns(run: Run) -> dict[str, Any]:
    """The columns a state change may touch (the version is storage's to bump)."""
    return {
        "state": run.state.value,
        "current_step": run.current,
        "context": dict(run.values),
        "note": run.note,
        "incident_id": run.incident_id,
        "updated_at": run.updated_at,
        "finished_at": run.finished_at,
    }


def step_row(run_id: str, step: StepRecord) -> RunbookStepRow:
    return RunbookStepRow(
        run_id=run_id,
        idx=step.index,
        step_id=step.step_id,
        kind=step.kind,
        title=step.title,
        **step_columns(step),
    )


def step_columns(step: StepRecord) -> dict[str, Any]:
    """The columns a step change may touch."""
    return {
        "state": step.state.value,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "expires_at": step.expires_at,
        "call": step.call,
        "detail": step.detail,
        "decided_by": step.decided_by,
        "answer": step.answer,
    }
