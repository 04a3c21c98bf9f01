"""Plain-text lines of runbooks and runs, for the CLI and logs (Slack has its own blocks)."""

from __future__ import annotations

from bot.durations import format_duration, humanize
from bot.people import Names, ids_in
from bot.runbooks.definitions import RunbookDefinition
from bot.runbooks.executor import describe_call
from bot.runbooks.model import Run, StepState

_MARK = {
    StepState.PENDING: "·",
    StepState.RUNNING: "…",
    StepState.WAITING_APPROVAL: "?",
    StepState.SUCCEEDED: "✓",
    StepState.FAILED: "✗",
    StepState.NOT_MET: "⊘",
    StepState.UNKNOWN: "!",
    StepState.SKIPPED: "-",
    StepState.PLANNED: "○",
    StepState.DENIED: "✗",
    StepState.EXPIRED: "⌛",
    StepState.CANCELLED: "-",
}


def definition_lines(definition: RunbookDefinition) -> list[str]:
    """A runbook as ``runbook list`` shows it: what, when, how automatic, its steps."""
    recovery = (
        f", expected recovery {format_duration(definition.expected_recovery)}"
        if definition.expected_recovery
        else ""
    )
    lines = [
        f"{definition.name} ({definition.automation.value.replace('_', '-')}, "
        f"target {definition.target}{recovery})",
        f"  {definition.description}",
    ]
    if definition.trigger:
        lines.append(f"  trigger: {definition.trigger}")
    lines += [f"  {n}. [{s.type}] {s.title}" for n, s in enumerate(definition.steps, 1)]
    lines += [f"  manual: {text}" for text in definition.manual_steps]
    return lines


def people_in(run: Run) -> list[str]:
    """Everyone a run's lines name: its requester, who decided its steps, and anyone its
    stored texts name ("approved by U0BBB", "cancelled by U0BBB")."""
    deciders = [step.decided_by for step in run.steps if step.decided_by]
    return [run.requester, *deciders, *ids_in(run.note, *(step.detail for step in run.steps))]


def run_lines(run: Run, names: Names | None = None) -> list[str]:
    """A run, one line per step with its state, timing, exact call and outcome; people by
    ``names``."""
    names = names or Names()
    kind = " (dry run)" if run.dry_run else ""
    lines = [f"{run.id} {run.runbook} → {run.target}{kind}: {run.state.label}"]
    if run.note:
        lines.append(f"  {names.in_text(run.note)}")
    for step in run.steps:
        took = f" ({humanize(step.duration)})" if step.duration is not None else ""
        by = f" by {names(step.decided_by)}" if step.decided_by else ""
        lines.append(
            f"  {_MARK[step.state]} {step.index + 1}. {step.title} [{step.state.label}{by}]{took}"
        )
        if step.call is not None:
            lines.append(f"      call: {describe_call(step.call)}")
        if step.detail:
            lines.append(f"      {names.in_text(step.detail)}")
    return lines
