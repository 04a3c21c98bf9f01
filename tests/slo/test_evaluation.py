"""SLO evaluation against a real Prometheus holding the history of ``history.py``.

Every expected number is computed here from the generation parameters, never read back
from Prometheus, and must match to 1e-6.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.slo.budget import SloStatus
from bot.slo.definitions import SloDefinition, default_slos
from bot.slo.evaluation import BURN_WINDOWS, SloEvaluator, SloResult, Verdict, deploy_verdict
from bot.slo.report import render_check_line, render_report
from tests.slo import history as h

TOLERANCE = 1e-6


def _slo(name: str) -> SloDefinition:
    return next(slo for slo in default_slos() if slo.name == name)


def _left_pct(bad: float, total: float, objective: float) -> float:
    return 100.0 * (1.0 - (bad / total) / ((100.0 - objective) / 100.0))


def _assert_counts(result: SloResult, *, good: int, total: int) -> None:
    assert result.reason is None
    assert (result.good, result.total) == (good, total)
    bad = total - good
    assert result.error_ratio == pytest.approx(bad / total, abs=TOLERANCE)
    assert result.actual == pytest.approx(100.0 * good / total, abs=TOLERANCE)
    expected_left = _left_pct(bad, total, result.objective)
    assert result.budget_left_pct == pytest.approx(expected_left, abs=TOLERANCE)
    assert result.budget_used_pct == pytest.approx(100.0 - expected_left, abs=TOLERANCE)
    allowed = (100.0 - result.objective) / 100.0 * total
    assert result.budget_left_events == pytest.approx(allowed - bad, abs=TOLERANCE)


def test_history_puts_the_traps_where_the_tests_need_them() -> None:
    window_start = h.END - 30 * h.DAY
    assert window_start < h.API_RESTART < h.END
    assert h.OLD_OUTAGE_START + h.HOUR < window_start < h.OUTAGE_START
    assert h.END - 7 * h.DAY < h.LATENCY_RESTART < h.END
    assert h.OLD_DIP[1] < h.END - 7 * h.DAY < h.DIP_START


async def test_availability_over_30_days_with_outage_and_restart(
    evaluator: SloEvaluator,
) -> None:
    result = await evaluator.evaluate(_slo("api_availability"), at=h.END_AT)
    minutes = 30 * h.DAY // h.MINUTE
    hour_marks = 30 * h.DAY // h.HOUR
    outage_minutes = h.HOUR // h.MINUTE
    # One whole-hour failure falls inside the outage hour and is replaced by its 30.
    bad = hour_marks - 1 + outage_minutes * h.OUTAGE_FAILED_PER_MINUTE
    total = minutes * h.REQUESTS_PER_MINUTE
    _assert_counts(result, good=total - bad, total=total)
    assert result.status is SloStatus.HEALTHY  # 2,519 of 4,320 allowed failures spent


async def test_burn_rates_in_the_outage_hour(evaluator: SloEvaluator) -> None:
    at = datetime.fromtimestamp(h.OUTAGE_START + h.HOUR, tz=UTC)
    result = await evaluator.evaluate(_slo("api_availability"), at=at)
    budget = 0.001
    outage_ratio = h.OUTAGE_FAILED_PER_MINUTE / h.REQUESTS_PER_MINUTE
    for window in ("5m", "30m", "1h"):
        assert result.burn_rates[window] == pytest.approx(outage_ratio / budget, rel=1e-9)
    # 2h: the outage hour plus the hour before it, which had its one whole-hour failure.
    two_hours_bad = 1 + (h.HOUR // h.MINUTE) * h.OUTAGE_FAILED_PER_MINUTE
    two_hours_total = 2 * (h.HOUR // h.MINUTE) * h.REQUESTS_PER_MINUTE
    expected = two_hours_bad / two_hours_total / budget
    assert result.burn_rates["2h"] == pytest.approx(expected, rel=1e-9)
    assert set(result.burn_rates) == set(BURN_WINDOWS)


async def test_latency_good_ratio_per_mode(evaluator: SloEvaluator) -> None:
    minutes = 7 * h.DAY // h.MINUTE
    fast = await evaluator.evaluate(_slo("llm_fast_latency"), at=h.END_AT)
    per_minute, good_per_minute = sum(h.FAST_PER_MINUTE), sum(h.FAST_PER_MINUTE[:3])
    _assert_counts(fast, good=good_per_minute * minutes, total=per_minute * minutes)
    assert fast.status is SloStatus.HEALTHY

    balanced = await evaluator.evaluate(_slo("llm_balanced_latency"), at=h.END_AT)
    per_minute, good_per_minute = sum(h.BALANCED_PER_MINUTE), sum(h.BALANCED_PER_MINUTE[:4])
    _assert_counts(balanced, good=good_per_minute * minutes, total=per_minute * minutes)
    assert balanced.actual == pytest.approx(93.5, abs=TOLERANCE)
    assert balanced.status is SloStatus.EXHAUSTED

    creative = await evaluator.evaluate(_slo("llm_creative_latency"), at=h.END_AT)
    slow = 4 * minutes + minutes // h.CREATIVE_SLOW_EVERY
    _assert_counts(creative, good=100 * minutes - slow, total=100 * minutes)
    assert creative.budget_left_pct == pytest.approx(16.0, abs=TOLERANCE)
    assert creative.status is SloStatus.WARNING


async def test_reward_is_the_fraction_of_one_minute_samples(evaluator: SloEvaluator) -> None:
    result = await evaluator.evaluate(_slo("rl_reward_stability"), at=h.END_AT)
    samples = 7 * h.DAY // h.MINUTE + 1  # a closed 7-day range at one-minute steps
    bad = h.DIP_LOW_MINUTES + h.DIP_AT_BOUND_MINUTES  # 10.0 itself is not "> 10"
    _assert_counts(result, good=samples - bad, total=samples)
    assert result.status is SloStatus.HEALTHY


async def test_verdict_blocks_on_the_exhausted_slo(evaluator: SloEvaluator) -> None:
    results = await evaluator.evaluate_all(default_slos(), at=h.END_AT)
    assert [r.status for r in results] == [
        SloStatus.HEALTHY,
        SloStatus.HEALTHY,
        SloStatus.EXHAUSTED,
        SloStatus.WARNING,
        SloStatus.HEALTHY,
    ]
    verdict = deploy_verdict(results)
    assert (verdict.verdict, verdict.blocking, verdict.unknown) == (
        Verdict.BLOCKED,
        ("llm_balanced_latency",),
        (),
    )
    assert verdict.exit_code == 1
    assert render_check_line(verdict) == (
        "🚨 Deployments blocked due to SLO violations: llm_balanced_latency"
    )
    report = render_report(results, verdict)
    assert "   Total Requests:      4,320,000" in report
    assert "   Failed Requests:     2,519" in report
    assert "🚨 LLM Balanced Mode Latency (p95)" in report
    assert "   Error Budget Left:   none (1.30× spent)" in report
    assert "⚠️ LLM Creative Mode Latency (p95)" in report
