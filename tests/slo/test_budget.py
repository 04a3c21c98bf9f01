"""Error-budget arithmetic and status thresholds, without Prometheus."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slo import budget
from bot.slo.budget import SloStatus

objectives = st.floats(min_value=50.0, max_value=99.999)
counts = st.integers(min_value=1, max_value=10**12)


def test_guide_example_numbers() -> None:
    # 99.9% over 1,000,000 requests allows 1,000 failures; 200 failed → 80% left.
    ratio = budget.error_ratio(good=999_800, total=1_000_000)
    assert budget.budget_left_pct(error_ratio=ratio, objective_pct=99.9) == pytest.approx(80.0)
    assert budget.budget_left_events(
        good=999_800, total=1_000_000, objective_pct=99.9
    ) == pytest.approx(800.0)
    assert budget.burn_rate(error_ratio=ratio, objective_pct=99.9) == pytest.approx(0.2)


def test_overspent_budget_goes_negative() -> None:
    # 93.5% good against 95%: 6.5% bad of 5% allowed → 130% used, −30% left.
    left = budget.budget_left_pct(error_ratio=0.065, objective_pct=95.0)
    assert left == pytest.approx(-30.0)
    assert budget.status_for(left) is SloStatus.EXHAUSTED


@pytest.mark.parametrize(
    ("left", "status"),
    [
        (100.0, SloStatus.HEALTHY),
        (20.000001, SloStatus.HEALTHY),
        (20.0, SloStatus.WARNING),
        (0.000001, SloStatus.WARNING),
        (0.0, SloStatus.EXHAUSTED),
        (-30.0, SloStatus.EXHAUSTED),
        (None, SloStatus.UNKNOWN),
        (math.nan, SloStatus.UNKNOWN),
    ],
)
def test_status_thresholds(left: float | None, status: SloStatus) -> None:
    assert budget.status_for(left) is status


@pytest.mark.parametrize("objective", [0.0, 100.0, -1.0, 120.0])
def test_objective_outside_open_interval_is_refused(objective: float) -> None:
    with pytest.raises(ValueError, match="objective"):
        budget.allowed_error_ratio(objective)


@given(objective=objectives, total=counts, bad_share=st.floats(min_value=0.0, max_value=1.0))
def test_budget_views_agree(objective: float, total: int, bad_share: float) -> None:
    bad = round(total * bad_share)
    good = total - bad
    ratio = budget.error_ratio(good=good, total=total)
    left = budget.budget_left_pct(error_ratio=ratio, objective_pct=objective)
    events = budget.budget_left_events(good=good, total=total, objective_pct=objective)
    allowed = budget.allowed_error_ratio(objective) * total
    assert left <= 100.0
    assert events / allowed * 100.0 == pytest.approx(left, rel=1e-9, abs=1e-6)
    burn = budget.burn_rate(error_ratio=ratio, objective_pct=objective)
    assert 100.0 * (1.0 - burn) == pytest.approx(left, rel=1e-9, abs=1e-9)
    assert (budget.status_for(left) is SloStatus.EXHAUSTED) == (left <= 0.0)


@given(objective=objectives, a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0))
def test_more_errors_never_leave_more_budget(objective: float, a: float, b: float) -> None:
    low, high = sorted((a, b))
    left_low = budget.budget_left_pct(error_ratio=low, objective_pct=objective)
    left_high = budget.budget_left_pct(error_ratio=high, objective_pct=objective)
    assert left_high <= left_low
    order = [SloStatus.HEALTHY, SloStatus.WARNING, SloStatus.EXHAUSTED]
    assert order.index(budget.status_for(left_high)) >= order.index(budget.status_for(left_low))
