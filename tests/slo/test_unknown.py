"""Every way of not knowing ends as ``unknown`` with a reason, no numbers, and exit code 2."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from bot.slo.budget import SloStatus
from bot.slo.definitions import SloDefinition, default_slos, parse_slo_definitions
from bot.slo.evaluation import SloEvaluator, SloResult, Verdict, deploy_verdict
from bot.slo.report import render_check_line, render_report, results_to_json
from tests.slo.history import END_AT
from tests.support.ports import free_port


def _events(good: str, total: str) -> SloDefinition:
    (slo,) = parse_slo_definitions(
        [
            {
                "name": "api_availability",
                "title": "API Availability",
                "kind": "events",
                "objective": 99.9,
                "window": "30d",
                "good": good,
                "total": total,
            }
        ]
    )
    return slo


def _fast_latency(**change: object) -> SloDefinition:
    entry = {
        "name": "llm_fast_latency",
        "kind": "latency",
        "objective": 95,
        "window": "7d",
        "metric": "llm_brief_latency_seconds",
        "labels": {"mode": "fast"},
        "threshold_seconds": 2.5,
        **change,
    }
    (slo,) = parse_slo_definitions([entry])
    return slo


def _assert_unknown(result: SloResult, reason_start: str) -> None:
    assert result.status is SloStatus.UNKNOWN
    assert result.reason is not None and result.reason.startswith(reason_start), result.reason
    numbers = (
        result.good,
        result.total,
        result.error_ratio,
        result.actual,
        result.budget_used_pct,
        result.budget_left_pct,
        result.budget_left_events,
    )
    assert numbers == (None,) * len(numbers)
    assert all(rate is None for rate in result.burn_rates.values())
    verdict = deploy_verdict([result])
    assert (verdict.verdict, verdict.unknown, verdict.exit_code) == (
        Verdict.UNKNOWN,
        (result.name,),
        2,
    )
    report = render_report([result], verdict)
    assert f"   Status:              unknown ({result.reason})" in report
    percent_lines = [line for line in report.splitlines() if "%" in line]
    assert all(line.startswith("   Target:") for line in percent_lines), report
    assert "100.00%" not in report and "0.00%" not in report.replace("99.90%", "")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


async def test_prometheus_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    evaluator = SloEvaluator(prometheus_url=url, timeout=2.0, retries=0)
    results = await evaluator.evaluate_all(default_slos(), at=END_AT)
    for result in results:
        _assert_unknown(result, f"Prometheus unreachable at {url}")
    verdict = deploy_verdict(results)
    assert verdict.exit_code == 2
    assert render_check_line(verdict) == (
        "❔ Cannot tell whether deployments are safe: SLO status unknown for "
        "api_availability, llm_fast_latency, llm_balanced_latency, llm_creative_latency, "
        "rl_reward_stability"
    )
    assert '"budget_left_pct": null' in results_to_json(results, verdict)


async def test_prometheus_silent_times_out(silent_port: int) -> None:
    url = f"http://127.0.0.1:{silent_port}"
    evaluator = SloEvaluator(prometheus_url=url, timeout=0.5, retries=0)
    result = await evaluator.evaluate(default_slos()[0], at=END_AT)
    _assert_unknown(result, f"Prometheus unreachable at {url}: no answer within 0.5s")


async def test_query_error(evaluator: SloEvaluator) -> None:
    slo = _events('api_requests_total{status=~"2..}', "api_requests_total")
    result = await evaluator.evaluate(slo, at=END_AT)
    _assert_unknown(result, "query error: ")
    assert "parse error" in (result.reason or "")


async def test_no_series(evaluator: SloEvaluator) -> None:
    slo = _events("absent_requests_total{status=~'2..'}", "absent_requests_total")
    result = await evaluator.evaluate(slo, at=END_AT)
    _assert_unknown(result, "no data: Prometheus has nothing to count in the last 30d")
    assert "absent_requests_total" not in (result.reason or "")  # the PromQL is for --json
    assert "sum(increase(absent_requests_total[30d]))" in (result.query or "")


async def test_zero_total_is_nan(evaluator: SloEvaluator) -> None:
    slo = _events('idle_requests_total{status=~"2.."}', "idle_requests_total")
    result = await evaluator.evaluate(slo, at=END_AT)
    _assert_unknown(result, "NaN: no events in the last 30d (0 good of 0 total)")


async def test_too_little_data(prometheus_url: str) -> None:
    evaluator = SloEvaluator(prometheus_url=prometheus_url, min_total_events=10**9)
    result = await evaluator.evaluate(default_slos()[0], at=END_AT)
    _assert_unknown(result, "too little data: 4.32e+06 events in the last 30d")


async def test_threshold_off_the_buckets_is_a_configuration_error(
    evaluator: SloEvaluator,
) -> None:
    result = await evaluator.evaluate(_fast_latency(threshold_seconds=3.0), at=END_AT)
    _assert_unknown(
        result,
        "configuration error: llm_fast_latency: threshold 3s is not a bucket boundary of "
        "llm_brief_latency_seconds (buckets: 0.5, 1.0, 2.5, 3.2, 4.5, 10.0, +Inf)",
    )


async def test_integral_threshold_matches_a_python_client_bucket(
    evaluator: SloEvaluator,
) -> None:
    # The history writes le="1.0" as Python clients do; threshold 1 must find it.
    result = await evaluator.evaluate(_fast_latency(threshold_seconds=1), at=END_AT)
    assert result.status is not SloStatus.UNKNOWN, result.reason


async def test_histogram_absent(evaluator: SloEvaluator) -> None:
    result = await evaluator.evaluate(_fast_latency(metric="llm_missing_seconds"), at=END_AT)
    _assert_unknown(result, "no data: Prometheus has no llm_missing_seconds buckets in the last 7d")
    assert 'llm_missing_seconds_bucket{mode="fast"}' in (result.query or "")


async def test_exhausted_wins_over_unknown(evaluator: SloEvaluator) -> None:
    slos = [*default_slos(), _fast_latency(name="llm_fast_typo", threshold_seconds=2.6)]
    results = await evaluator.evaluate_all(slos, at=END_AT)
    verdict = deploy_verdict(results)
    assert verdict.verdict is Verdict.BLOCKED and verdict.exit_code == 1
    assert (verdict.blocking, verdict.unknown) == (("llm_balanced_latency",), ("llm_fast_typo",))
    assert render_check_line(verdict) == (
        "🚨 Deployments blocked due to SLO violations: llm_balanced_latency "
        "(status unknown: llm_fast_typo)"
    )


def test_no_slos_cannot_allow() -> None:
    verdict = deploy_verdict([])
    assert (verdict.verdict, verdict.exit_code) == (Verdict.UNKNOWN, 2)


async def test_one_event_in_the_window_is_too_little_data(evaluator: SloEvaluator) -> None:
    slo = _events('sparse_requests_total{status=~"2.."}', "sparse_requests_total")
    assert slo.min_events == 100  # the default, per SLO in sre.yaml

    result = await evaluator.evaluate(slo, at=END_AT)

    _assert_unknown(result, "too little data: 1 events in the last 30d, need at least 100")


async def test_min_events_is_read_from_the_slo_definition(evaluator: SloEvaluator) -> None:
    (slo,) = parse_slo_definitions(
        [
            {
                "name": "sparse_availability",
                "kind": "events",
                "objective": 99.9,
                "window": "30d",
                "good": 'sparse_requests_total{status=~"2.."}',
                "total": "sparse_requests_total",
                "min_events": 1,
            }
        ]
    )

    result = await evaluator.evaluate(slo, at=END_AT)

    assert (result.status, result.good, result.total) == (SloStatus.HEALTHY, 1.0, 1.0)


async def test_a_hanging_prometheus_is_unknown_within_the_query_budget(silent_port: int) -> None:
    """The defaults: 10 s per request, one retry, two queries for a latency SLO (40 s before)."""
    url = f"http://127.0.0.1:{silent_port}"
    evaluator = SloEvaluator(prometheus_url=url)
    started = time.monotonic()

    results = await evaluator.evaluate_all(default_slos(), at=END_AT)

    assert time.monotonic() - started < 12.0  # the 10 s budget, with margin
    for result in results:
        _assert_unknown(result, f"Prometheus unreachable at {url}: no answer within the 10s")
    evaluator.close()
