"""Error-budget arithmetic (docs/guide.md#error-budget), pure so it is tested without Prometheus."""

from __future__ import annotations

import math
from enum import StrEnum

# Status thresholds: more than 20% left is healthy, 0% or less is exhausted.
WARNING_AT_PCT = 20.0
EXHAUSTED_AT_PCT = 0.0


class SloStatus(StrEnum):
    HEALTHY = "healthy"
    WARNING = "warning"
    EXHAUSTED = "exhausted"
    UNKNOWN = "unknown"


def allowed_error_ratio(objective_pct: float) -> float:
    """The error budget as a ratio: 99.9 → 0.001."""
    if not 0.0 < objective_pct < 100.0:
        raise ValueError(f"objective must be strictly between 0 and 100, got {objective_pct}")
    return (100.0 - objective_pct) / 100.0


def error_ratio(*, good: float, total: float) -> float:
    """Bad over total; the caller guarantees ``total > 0`` and ``0 <= good <= total``."""
    return (total - good) / total


def budget_left_pct(*, error_ratio: float, objective_pct: float) -> float:
    """100 × (1 − error_ratio / (1 − objective)); negative once the budget is overspent."""
    return 100.0 * (1.0 - error_ratio / allowed_error_ratio(objective_pct))


def budget_left_events(*, good: float, total: float, objective_pct: float) -> float:
    """Bad events still allowed in the window (allowed bad − bad); negative when overspent."""
    return allowed_error_ratio(objective_pct) * total - (total - good)


def burn_rate(*, error_ratio: float, objective_pct: float) -> float:
    """How many times faster than "exactly spent at the window's end" the budget is burning."""
    return error_ratio / allowed_error_ratio(objective_pct)


def status_for(left_pct: float | None) -> SloStatus:
    """healthy (> 20% left), warning (≤ 20%), exhausted (≤ 0%); unknown without a number."""
    if left_pct is None or math.isnan(left_pct):
        return SloStatus.UNKNOWN
    if left_pct <= EXHAUSTED_AT_PCT:
        return SloStatus.EXHAUSTED
    if left_pct <= WARNING_AT_PCT:
        return SloStatus.WARNING
    return SloStatus.HEALTHY
