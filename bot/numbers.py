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
