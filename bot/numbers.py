"""Numbers as reports print them: ``99.95%``, ``1,234``, and ``n/a`` when there is no number."""

from __future__ import annotations


def format_percent(value: float | None) -> str:
    """Two decimals and a percent sign; never ``-0.00%``."""
    if value is None:
        return "n/a"
    text = f"{value:.2f}"
    return ("0.00" if text == "-0.00" else text) + "%"


def format_count(value: float | None) -> str:
    """A whole number with thousands separators."""
    return "n/a" if value is None else f"{round(value):,}"


def _times(ratio: float) -> str:
    """``1.30×`` under ten, ``14×`` from there: as precise as a person needs."""
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:,.0f}×"


def format_budget_left(left_pct: float | None) -> str:
    """Error budget left as a field shows it: ``12.50%``, or once overspent ``none (14×
    spent)``: never a negative percentage left."""
    if left_pct is None:
        return "n/a"
    if left_pct >= 0:
        return format_percent(left_pct)
    return f"none ({_times((100.0 - left_pct) / 100.0)} spent)"


def budget_left_phrase(left_pct: float | None, *, budget: str = "budget") -> str:
    """Error budget left in a sentence: ``12.50% budget left`` or ``budget overspent (14×
    spent)``; ``budget`` names it (``the 30d error budget``)."""
    if left_pct is None:
        return f"{budget} left unknown"
    if left_pct >= 0:
        return f"{format_percent(left_pct)} {budget} left"
    return f"{budget} overspent ({_times((100.0 - left_pct) / 100.0)} spent)"


def format_events_left(left: float | None) -> str:
    """Bad events still allowed: ``1,234``, or once overspent ``none (12,345 over)``."""
    if left is None:
        return "n/a"
    if round(left) >= 0:
        return format_count(left)
    return f"none ({format_count(-left)} over)"
