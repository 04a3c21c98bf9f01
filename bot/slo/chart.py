"""A PNG of every SLO's error budget left over its window, for the digest.

One small panel per SLO, the warning (20%) and exhausted (0%) lines drawn in. Gaps in the
data stay gaps, and an SLO whose history is unknown gets an empty panel that says so:
the chart never draws a number it does not have. Uses matplotlib's Agg canvas directly
(no pyplot, no display, no global figure state), so it is safe in a worker thread.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.numbers import budget_left_phrase
from bot.slo.budget import EXHAUSTED_AT_PCT, WARNING_AT_PCT, status_for
from bot.slo.history import BudgetSeries

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_INCHES = 8.0
PANEL_INCHES = 1.7
DPI = 100
MAX_PANELS = 12
_CLIP_BELOW = -100.0  # deeply overspent budgets are drawn off the bottom, not squashed


def render_budget_chart(series: Sequence[BudgetSeries], *, at: datetime) -> bytes:
    """PNG bytes; at most MAX_PANELS panels (the digest lists every SLO anyway)."""
    # matplotlib is loaded on purpose only when a chart is drawn: it costs half a second
    # at import, and most processes (the CLI, serve's Slack requests) never draw one.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = list(series[:MAX_PANELS])
    rows = max(1, len(shown))
    figure = Figure(figsize=(WIDTH_INCHES, 0.6 + PANEL_INCHES * rows), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(f"Error budget left — {at:%Y-%m-%d %H:%M} UTC", fontsize=11)
    if not shown:
        axes = figure.add_subplot(1, 1, 1)
        axes.set_axis_off()
        axes.text(0.5, 0.5, "No SLOs configured", ha="center", va="center")
    for index, item in enumerate(shown, start=1):
        _panel(figure.add_subplot(rows, 1, index), item)
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _panel(axes: Axes, item: BudgetSeries) -> None:
    axes.tick_params(labelsize=8)
    if not item.known:
        reason = item.reason or "no data in the window"
        axes.set_title(f"{item.title} ({item.window}) — unknown", fontsize=9, loc="left")
        axes.set_facecolor("#eeeeee")
        axes.set_yticks([])
        axes.set_xticks([])
        axes.text(
            0.5,
            0.5,
            f"unknown: {_short(reason)}",
            ha="center",
            va="center",
            fontsize=8,
            color="#555555",
            transform=axes.transAxes,
            wrap=True,
        )
        return
    end = item.points[-1][0]
    days = [(instant - end).total_seconds() / 86400 for instant, _ in item.points]
    values = [math.nan if value is None else value for _, value in item.points]
    known = [value for value in values if not math.isnan(value)]
    axes.set_ylabel("% left", fontsize=8)
    axes.axhspan(EXHAUSTED_AT_PCT, WARNING_AT_PCT, color="#fff2cc", zorder=0)
    axes.axhspan(_CLIP_BELOW - 10, EXHAUSTED_AT_PCT, color="#f8d7da", zorder=0)
    axes.axhline(WARNING_AT_PCT, color="#c9a227", linewidth=0.8, linestyle="--")
    axes.axhline(EXHAUSTED_AT_PCT, color="#b02a37", linewidth=0.8)
    axes.plot(days, values, color="#1f4e79", linewidth=1.4, marker=".", markersize=2)
    low = max(_CLIP_BELOW, min([*known, EXHAUSTED_AT_PCT]) - 10)
    axes.set_ylim(low, 105)
    if min(known, default=0.0) < _CLIP_BELOW:
        lowest = f"lowest {min(known):.0f}%, drawn off the bottom"
        axes.text(0.01, 0.05, lowest, fontsize=7, color="#b02a37", transform=axes.transAxes)
    axes.set_xlim(days[0], 0)
    axes.set_xlabel("days ago", fontsize=8)
    axes.grid(axis="y", linewidth=0.3)
    axes.set_title(f"{item.title} ({item.window}) — {_now_text(item.last)}", fontsize=9, loc="left")


def _now_text(last: float | None) -> str:
    if last is None:
        return "now: unknown"
    return f"now {budget_left_phrase(last)} ({status_for(last).value})"


def _short(reason: str, limit: int = 110) -> str:
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
