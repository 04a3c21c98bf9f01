"""Block Kit for runbooks: the one message per run, the list, health."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from bot.durations import format_duration, humanize
from bot.runbooks import RunbookDefinition, RunState, StepState
from bot.runbooks.executor import describe_call
from bot.runbooks.model import Run
from bot.serving.models import AllModelsHealth, ModelHealth
from handlers.blocks.text import (
    SECTION_TEXT_MAX,
    button,
    clip,
    context,
    escape,
    fallback,
    header,
    mention,
    mention_users,
    message,
    section,
    yes_no,
)


class RunbookAction(StrEnum):
    APPROVE = "runbook_approve"
    DENY = "runbook_deny"
    CANCEL = "runbook_cancel"
    RESUME_APPLIED = "runbook_resume_applied"
    RESUME_RESEND = "runbook_resume_resend"
    START = "runbook_start"
    """A recovery notice's restore as versions before ``RESTORE`` posted it (``runbook|INC-…``)."""
    RESTORE = "runbook_restore"


STEP_ICON = {
    StepState.PENDING: "⚪",
    StepState.RUNNING: "⏳",
    StepState.WAITING_APPROVAL: "✋",
    StepState.SUCCEEDED: "✅",
    StepState.FAILED: "❌",
    StepState.NOT_MET: "➖",
    StepState.UNKNOWN: "⚠️",
    StepState.SKIPPED: "⏭️",
    StepState.PLANNED: "📝",
    StepState.DENIED: "🚫",
    StepState.EXPIRED: "⌛",
    StepState.CANCELLED: "⏹️",
}
RUN_ICON = {
    RunState.REQUESTED: "🛠️",
    RunState.RUNNING: "⏳",
    RunState.WAITING_APPROVAL: "✋",
    RunState.NEEDS_ATTENTION: "⚠️",
    RunState.SUCCEEDED: "✅",
    RunState.FAILED: "❌",
    RunState.REJECTED: "🚫",
    RunState.EXPIRED: "⌛",
    RunState.CANCELLED: "⏹️",
    RunState.NOT_NEEDED: "☑️",
}
HEALTH_ICON = {"healthy": "✅", "degraded": "⚠️", "unhealthy": "🚨"}


def _step_line(run: Run, index: int) -> str:
    step = run.steps[index]
    took = f" · {humanize(step.duration)}" if step.duration is not None else ""
    by = f" · {mention(step.decided_by)}" if step.decided_by else ""
    line = (
        f"{STEP_ICON[step.state]} {index + 1}. {escape(step.title)} _{step.state.label}_{by}{took}"
    )
    if step.call is not None:
        line += f"\n      `{escape(clip(describe_call(step.call), 400))}`"
    if step.detail:
        line += f"\n      {mention_users(clip(step.detail, 400))}"  # "approved by U0BBB"
    return line


def _answers(run: Run) -> list[dict[str, Any]]:
    """Each step's whole answer from the serving process, as ``/runbook status --full`` shows it."""
    blocks = []
    for step in run.steps:
        if step.answer is None:
            continue
        head = f"*{step.index + 1}. {escape(step.title)}*: the serving process answered"
        shown = json.dumps(step.answer, indent=2, sort_keys=True, ensure_ascii=False)
        text = f"{head}\n```{escape(shown)}```"
        if len(text) > SECTION_TEXT_MAX:
            text = (
                f"{head} more than a Slack message holds: "
                f"`python -m bot runbook status {escape(run.id)} --json` prints it whole."
            )
        blocks.append(section(text))
    return blocks


def run_message(run: Run, *, approvers: Sequence[str] = (), full: bool = False) -> dict[str, Any]:
    """The run's one message, updated in place as each step moves; ``full`` adds each
    change's whole answer from the serving process (``/runbook status <RUN-ID> --full``)."""
    kind = " · dry run" if run.dry_run else ""
    blocks: list[dict[str, Any]] = [
        header(f"{RUN_ICON[run.state]} {run.id} · {run.runbook}{kind}"),
    ]
    facts = [
        f"*Target* {escape(run.target)}",
        f"*Requested by* {mention(run.requester)}",
        f"*State* {run.state.label}",
    ]
    if run.incident_id:
        facts.append(f"*Incident* {escape(run.incident_id)}")
    if run.definition.expected_recovery:
        facts.append(f"*Expected recovery* {format_duration(run.definition.expected_recovery)}")
    blocks.append(section(" · ".join(facts)))
    chunk: list[str] = []
    for index in range(len(run.steps)):
        line = _step_line(run, index)
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_TEXT_MAX - 10:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if full:
        blocks.extend(_answers(run))
    if run.note:
        blocks.append(context(mention_users(clip(run.note, 1500))))  # "cancelled by U0BBB"
    blocks.extend(_actions(run, approvers))
    if run.dry_run:
        blocks.append(
            context(
                "Dry run: every step above is shown with the call it would make; nothing was changed."
            )
        )
    return {
        "text": fallback(escape(f"{run.id} {run.runbook}: {run.state.label}")),
        "blocks": blocks[:50],
    }


def _actions(run: Run, approvers: Sequence[str]) -> list[dict[str, Any]]:
    waiting = next((s for s in run.steps if s.state is StepState.WAITING_APPROVAL), None)
    if run.state is RunState.WAITING_APPROVAL and waiting is not None:
        value = f"{run.id}|{waiting.step_id}"
        who = " ".join(mention(a) for a in approvers if a != run.requester) or "an approver"
        expires = (
            f" before <!date^{int(waiting.expires_at.timestamp())}^{{time}}|{waiting.expires_at:%H:%M} UTC>"
            if waiting.expires_at
            else ""
        )
        return [
            section(f"✋ *Approval needed* from {who}{expires}: {escape(waiting.title)}"),
            {
                "type": "actions",
                "elements": [
                    button(
                        "Approve", action_id=RunbookAction.APPROVE, value=value, style="primary"
                    ),
                    button("Deny", action_id=RunbookAction.DENY, value=value, style="danger"),
                ],
            },
        ]
    if run.state is RunState.NEEDS_ATTENTION:
        return [
            section(
                "⚠️ *A person must decide*: the last change's outcome is unknown. Check the target, then:"
            ),
            {
                "type": "actions",
                "elements": [
                    button(
                        "It took effect",
                        action_id=RunbookAction.RESUME_APPLIED,
                        value=run.id,
                        style="primary",
                    ),
                    button("Send it again", action_id=RunbookAction.RESUME_RESEND, value=run.id),
                    button(
                        "Cancel run", action_id=RunbookAction.CANCEL, value=run.id, style="danger"
                    ),
                ],
            },
        ]
    if run.state in (RunState.REQUESTED, RunState.RUNNING):
        return [
            {
                "type": "actions",
                "elements": [button("Cancel run", action_id=RunbookAction.CANCEL, value=run.id)],
            }
        ]
    return []


def runbook_list(definitions: Sequence[RunbookDefinition]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [header("Runbooks")]
    for definition in definitions[:45]:
        mode = definition.automation.value.replace("_", "-")
        lines = [
            f"*{escape(definition.name)}* · {mode} · target {escape(definition.target)}",
            escape(definition.description),
        ]
        if definition.trigger:
            lines.append(f"_Trigger:_ {escape(definition.trigger)}")
        lines.append(" → ".join(escape(s.title) for s in definition.steps))
        blocks.append(section(clip("\n".join(lines), SECTION_TEXT_MAX)))
    blocks.append(context("`/runbook run <name> --dry-run` shows every call without making it."))
    return {"text": "Runbooks", "blocks": blocks}


def health_reply(overview: AllModelsHealth, details: Sequence[ModelHealth] = ()) -> dict[str, Any]:
    lines = [
        f"{HEALTH_ICON.get(status, '❔')} *{escape(name)}*: {escape(status)}"
        for name, status in overview.models.items()
    ]
    for model in details:
        lines.append(
            f"*{escape(model.model_name)}* loaded {yes_no(model.loaded)} · "
            f"inference ready {yes_no(model.inference_ready)} · "
            f"last inference {_amount(model.last_inference_ms, 'ms')} · "
            f"memory {_amount(model.memory_mb, 'MB')}"
            + (f" · error: {escape(model.error_message)}" if model.error_message else "")
        )
    summary = (
        f"{HEALTH_ICON.get(overview.status, '❔')} *Model health: {escape(overview.status)}* · "
        f"{overview.healthy_count} healthy, {overview.degraded_count} degraded, {overview.unhealthy_count} unhealthy"
    )
    return {
        "text": fallback(f"Model health: {overview.status}"),
        "blocks": [section(summary), section("\n".join(lines) or "_no models_")],
    }


def _amount(value: float | None, unit: str) -> str:
    return "not reported" if value is None else f"{value:,.0f} {unit}"


def recovery_notice(model: str, *, notice_key: str) -> dict[str, Any]:
    """The model recovered: a button (``RESTORE``, carrying the notice's key) starts the
    restore, once."""
    text = (
        f"✅ *{escape(model)}* is healthy again. Creative is still served elsewhere: restore it "
        f"when you are ready (an approver confirms the step)."
    )
    return {
        "text": fallback(f"{model} recovered"),
        "blocks": [
            section(text),
            {
                "type": "actions",
                "elements": [
                    button(
                        "Restore creative mode",
                        action_id=RunbookAction.RESTORE,
                        value=notice_key,
                        style="primary",
                    )
                ],
            },
        ],
    }


def recovery_restored(model: str, *, run_id: str, by: str) -> dict[str, Any]:
    """The recovery notice once its restore started: the run and who started it, in place
    of the button."""
    text = (
        f"✅ *{escape(model)}* is healthy again. ♻️ {mention(by)} started the restore as "
        f"*{escape(run_id)}*: its message asks an approver and shows how it goes."
    )
    return {"text": fallback(text), "blocks": [section(text)]}


def drill_summary(*, reachable: str | None, lines: list[str]) -> dict[str, Any]:
    """The monthly drill's report; ``reachable`` is None when the serving process answered."""
    target = (
        "✅ the serving process answered"
        if reachable is None
        else f"🚨 the serving process did not answer ({escape(reachable)})"
    )
    text = "🧪 *Monthly runbook drill* (dry runs, nothing changed): " + target
    return message(text + "\n" + escape("\n".join(lines)))


# Raw text: the router escapes it when it is shown (Slack would read a bare <title> as a link).
RUNBOOK_HELP = "\n".join(
    [
        "*`/runbook`* — runbooks that act on the model-serving process",
        "`/runbook list` — what there is, how automatic, its steps",
        "`/runbook run <name> [--dry-run] [--incident INC-ID] [target]` — run it here, or in the incident's thread (dry run: show every call, make none)",
        "`/runbook status <RUN-ID> [--full]` · `/runbook cancel <RUN-ID>` (full: with the serving process's whole answers)",
        "`/health [model]` — model health from the serving process",
    ]
)


def run_moved_text(*, run_id: str, channel: str) -> str:
    """To the requester of a run whose channel the bot cannot post in."""
    return (
        f"⚠️ I cannot post in the channel where you started *{escape(run_id)}*, so its "
        f"message and its Approve/Deny buttons are in <#{channel}>. Invite me to a channel "
        "to keep runs there."
    )
