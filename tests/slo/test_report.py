"""The report and check texts as the guide prints them, and the --json shape.

The formats: docs/guide.md#output-formats.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.slo import budget
from bot.slo.budget import SloStatus
from bot.slo.evaluation import BURN_WINDOWS, SloResult, Verdict, deploy_verdict
from bot.slo.report import render_check_line, render_report, results_to_json

AT = datetime(2026, 10, 1, tzinfo=UTC)


def _result(name: str, title: str, kind: str, objective: float, good: int, total: int) -> SloResult:
    ratio = budget.error_ratio(good=good, total=total)
    left = budget.budget_left_pct(error_ratio=ratio, objective_pct=objective)
    return SloResult(
        name=name,
        title=title,
        kind=kind,
        objective=objective,
        window="30d" if kind == "events" else "7d",
        status=budget.status_for(left),
        evaluated_at=AT,
        good=good,
        total=total,
        error_ratio=ratio,
        actual=100 * (1 - ratio),
        budget_used_pct=100 - left,
        budget_left_pct=left,
        budget_left_events=budget.budget_left_events(
            good=good, total=total, objective_pct=objective
        ),
        burn_rates=dict.fromkeys(BURN_WINDOWS, 1.0),
    )


API = _result("api_availability", "API Availability", "events", 99.9, 1_234_567 - 987, 1_234_567)
CREATIVE = _result(
    "llm_creative_latency", "LLM Creative Mode Latency (p95)", "latency", 95.0, 9_590, 10_000
)
BALANCED = _result(
    "llm_balanced_latency", "LLM Balanced Mode Latency (p95)", "latency", 95.0, 9_350, 10_000
)
UNKNOWN = SloResult(
    name="rl_reward_stability",
    title="RL Reward Stability",
    kind="threshold",
    objective=99.0,
    window="7d",
    status=SloStatus.UNKNOWN,
    evaluated_at=AT,
    reason="Prometheus unreachable at http://prometheus:9090: connection refused",
)

GUIDE_LAYOUT = """\
============================================================
SLO & Error Budget Report
============================================================

✅ API Availability
   Target:              99.90%
   Actual:              99.92%
   Error Budget Used:   79.95%
   Error Budget Left:   20.05%
   Status:              healthy
   Total Requests:      1,234,567
   Failed Requests:     987
   Failures Left:       248

⚠️ LLM Creative Mode Latency (p95)
   Target:              95.00%
   Actual:              95.90%
   Error Budget Used:   82.00%
   Error Budget Left:   18.00%
   Status:              warning

============================================================
✅ Status: All SLOs within error budget - Deployments allowed
============================================================"""


def test_report_in_the_guide_layout() -> None:
    results = [API, CREATIVE]
    verdict = deploy_verdict(results)
    assert verdict.verdict is Verdict.ALLOWED and verdict.exit_code == 0
    assert render_report(results, verdict) == GUIDE_LAYOUT
    assert render_check_line(verdict) == "✅ Deployments allowed: all SLOs within error budget"


def test_blocked_report_and_check_line() -> None:
    results = [API, BALANCED]
    verdict = deploy_verdict(results)
    report = render_report(results, verdict)
    assert "🚨 LLM Balanced Mode Latency (p95)" in report
    assert "   Error Budget Used:   130.00%\n   Error Budget Left:   none (1.30× spent)" in report
    assert "   Status:              exhausted" in report
    assert report.endswith(
        "🚨 Status: Error budget exhausted (llm_balanced_latency) - Deployments blocked\n"
        + "=" * 60
    )
    assert render_check_line(verdict) == (
        "🚨 Deployments blocked due to SLO violations: llm_balanced_latency"
    )


def test_unknown_shows_reason_and_no_numbers() -> None:
    results = [API, UNKNOWN]
    verdict = deploy_verdict(results)
    report = render_report(results, verdict)
    block = report.split("❔ RL Reward Stability\n", 1)[1].split("\n\n", 1)[0]
    assert block == (
        "   Target:              99.00%\n"
        "   Status:              unknown (Prometheus unreachable at http://prometheus:9090: "
        "connection refused)"
    )
    assert "❔ Status: SLO status unknown (rl_reward_stability) - Cannot tell" in report
    assert verdict.exit_code == 2


def test_json_keys_are_stable_and_unknown_is_null() -> None:
    results = [API, UNKNOWN]
    payload = json.loads(results_to_json(results, deploy_verdict(results)))
    assert list(payload) == ["verdict", "exit_code", "blocking", "unknown", "slos"]
    assert (payload["verdict"], payload["exit_code"]) == ("unknown", 2)
    assert payload["unknown"] == ["rl_reward_stability"]
    api, reward = payload["slos"]
    assert list(api) == [
        "name",
        "title",
        "kind",
        "objective",
        "window",
        "status",
        "reason",
        "good",
        "total",
        "bad",
        "error_ratio",
        "actual_pct",
        "budget_used_pct",
        "budget_left_pct",
        "budget_left_events",
        "burn_rates",
        "evaluated_at",
        "query",
    ]
    assert (api["total"], api["bad"], api["status"]) == (1_234_567, 987, "healthy")
    assert list(api["burn_rates"]) == list(BURN_WINDOWS)
    assert reward["status"] == "unknown"
    assert reward["budget_left_pct"] is None and reward["budget_left_events"] is None
    assert set(reward["burn_rates"].values()) == {None}
