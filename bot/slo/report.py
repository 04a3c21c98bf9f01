"""The SLO report and check texts (docs/guide.md#output-formats), and their ``--json`` form.

An unknown SLO shows ``Status: unknown (reason)`` and no numbers but its target: nothing
that could be read as 100% or 0% of budget.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.numbers import format_budget_left, format_count, format_events_left, format_percent
from bot.slo.budget import SloStatus
from bot.slo.evaluation import DeployVerdict, SloResult, Verdict

RULE = "=" * 60
_LABEL_WIDTH = 21  # "Error Budget Used:   " in the guide
_ICONS = {
    SloStatus.HEALTHY: "✅",
    SloStatus.WARNING: "⚠️",
    SloStatus.EXHAUSTED: "🚨",
    SloStatus.UNKNOWN: "❔",
}


def render_report(results: Sequence[SloResult], verdict: DeployVerdict) -> str:
    """The guide's "SLO & Error Budget Report", one block per SLO, then the verdict."""
    lines = [RULE, "SLO & Error Budget Report", RULE, ""]
    for result in results:
        lines.extend(_block(result))
        lines.append("")
    lines.extend([RULE, _verdict_line(verdict), RULE])
    return "\n".join(lines)


def render_check_line(verdict: DeployVerdict) -> str:
    """The one line of ``slo check`` (docs/guide.md#slo-check)."""
    if verdict.verdict is Verdict.BLOCKED:
        line = f"🚨 Deployments blocked due to SLO violations: {', '.join(verdict.blocking)}"
        if verdict.unknown:
            line += f" (status unknown: {', '.join(verdict.unknown)})"
        return line
    if verdict.verdict is Verdict.UNKNOWN:
        if not verdict.unknown:
            return "❔ Cannot tell whether deployments are safe: no SLOs were evaluated"
        return "❔ Cannot tell whether deployments are safe: SLO status unknown for " + ", ".join(
            verdict.unknown
        )
    return "✅ Deployments allowed: all SLOs within error budget"


def results_to_json(results: Sequence[SloResult], verdict: DeployVerdict) -> str:
    """``--json`` output; keys are stable, unknown numbers are null."""
    payload = {
        "verdict": verdict.verdict.value,
        "exit_code": verdict.exit_code,
        "blocking": list(verdict.blocking),
        "unknown": list(verdict.unknown),
        "slos": [_as_dict(result) for result in results],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _block(result: SloResult) -> list[str]:
    lines = [
        f"{_ICONS[result.status]} {result.title}",
        _field("Target:", format_percent(result.objective)),
    ]
    if result.status is SloStatus.UNKNOWN:
        lines.append(_field("Status:", f"unknown ({result.reason or 'no reason given'})"))
        return lines
    lines += [
        _field("Actual:", format_percent(result.actual)),
        _field("Error Budget Used:", format_percent(result.budget_used_pct)),
        _field("Error Budget Left:", format_budget_left(result.budget_left_pct)),
        _field("Status:", result.status.value),
    ]
    if result.kind == "events":
        lines += [
            _field("Total Requests:", format_count(result.total)),
            _field("Failed Requests:", format_count(result.bad)),
            _field("Failures Left:", format_events_left(result.budget_left_events)),
        ]
    return lines


def _verdict_line(verdict: DeployVerdict) -> str:
    if verdict.verdict is Verdict.BLOCKED:
        names = ", ".join(verdict.blocking)
        return f"🚨 Status: Error budget exhausted ({names}) - Deployments blocked"
    if verdict.verdict is Verdict.UNKNOWN:
        names = ", ".join(verdict.unknown) or "no SLOs evaluated"
        return f"❔ Status: SLO status unknown ({names}) - Cannot tell if deployments are safe"
    return "✅ Status: All SLOs within error budget - Deployments allowed"


def _field(label: str, value: str) -> str:
    return f"   {label:<{_LABEL_WIDTH}}{value}"


def _as_dict(result: SloResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "title": result.title,
        "kind": result.kind,
        "objective": result.objective,
        "window": result.window,
        "status": result.status.value,
        "reason": result.reason,
        "good": result.good,
        "total": result.total,
        "bad": result.bad,
        "error_ratio": result.error_ratio,
        "actual_pct": result.actual,
        "budget_used_pct": result.budget_used_pct,
        "budget_left_pct": result.budget_left_pct,
        "budget_left_events": result.budget_left_events,
        "burn_rates": dict(result.burn_rates),
        "evaluated_at": result.evaluated_at.isoformat(),
        "query": result.query,
    }
