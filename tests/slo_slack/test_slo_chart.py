"""Budget history from the real Prometheus, and the chart drawn from it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slo.chart import render_budget_chart
from bot.slo.definitions import default_slos
from bot.slo.evaluation import SloEvaluator
from bot.slo.history import BudgetSeries, SloHistory
from tests.slo.history import END_AT
from tests.slo_slack.conftest import png_size
from tests.support.ports import free_port


async def test_history_ends_where_the_evaluation_stands(prometheus_url: str) -> None:
    history = SloHistory(prometheus_url=prometheus_url, timeout=10)
    evaluator = SloEvaluator(prometheus_url=prometheus_url, timeout=10)
    try:
        slos = default_slos()
        series = await history.budget_all(slos, end=END_AT)
        results = await evaluator.evaluate_all(slos, at=END_AT)
    finally:
        history.close()
        evaluator.close()
    for item, result in zip(series, results, strict=True):
        assert item.known, item.reason
        assert item.points[-1][0] == END_AT
        assert item.last == pytest.approx(result.budget_left_pct, abs=1e-6), item.name
        assert len(item.points) == 73
    api = series[0]
    assert api.points[-1][0] - api.points[0][0] == timedelta(days=30)


async def test_history_without_prometheus_is_unknown_not_a_number() -> None:
    history = SloHistory(prometheus_url=f"http://127.0.0.1:{free_port()}", timeout=2)
    try:
        series = await history.budget_all(default_slos(), end=END_AT)
    finally:
        history.close()
    for item in series:
        assert not item.known and item.points == ()
        assert item.reason is not None and item.reason.startswith("Prometheus unreachable")
        assert item.reason.endswith("connection refused")


def test_chart_is_a_png_even_with_unknown_slos() -> None:
    slos = default_slos()
    step = timedelta(hours=10)
    gappy = tuple((END_AT - step * (72 - i), None if 20 < i < 30 else 60.0 - i) for i in range(73))
    series = [
        BudgetSeries(slos[0].name, slos[0].title, slos[0].window, gappy),
        BudgetSeries.unknown(slos[1], "Prometheus unreachable at http://x: connection refused"),
        BudgetSeries(slos[2].name, slos[2].title, slos[2].window, ((END_AT, None),)),
    ]
    png = render_budget_chart(series, at=END_AT)
    width, height = png_size(png)
    assert (width, height) == (800, 570)
    assert 5_000 < len(png) < 1_000_000
    assert png_size(render_budget_chart([], at=END_AT))[0] == 800
