"""Each SLO's error budget left over time, read with Prometheus range queries (for the chart).

A point is the budget left of the rolling window ending at that instant, i.e. what
``/slo <name>`` would have said then. A step where Prometheus has no or zero data is a gap
(``None``), and a failed query makes the whole series unknown with a reason: the chart then
draws nothing for it, never 100% or 0%.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.slo import budget
from bot.slo.definitions import EventsSlo, SloDefinition
from bot.slo.prometheus import PrometheusSource, PrometheusUnanswered, sample_value
from bot.slo.queries import good_expr, total_expr

if TYPE_CHECKING:
    from prometheus_api_client import PrometheusConnect

DEFAULT_POINTS = 72
"""Steps per window: 10 h apart over 30 days, 140 min over 7 days; plenty for a small chart."""


@dataclass(frozen=True)
class BudgetSeries:
    """Budget left (percent, may be negative) at each step of one SLO's window."""

    name: str
    title: str
    window: str
    points: tuple[tuple[datetime, float | None], ...] = ()
    reason: str | None = None  # set when the whole series is unknown

    @property
    def known(self) -> bool:
        return self.reason is None and any(value is not None for _, value in self.points)

    @property
    def last(self) -> float | None:
        """The newest known value, if the newest step has one."""
        return self.points[-1][1] if self.points else None

    def as_unknown(self, reason: str) -> BudgetSeries:
        return BudgetSeries(self.name, self.title, self.window, (), reason)

    @classmethod
    def unknown(cls, slo: SloDefinition, reason: str) -> BudgetSeries:
        return cls(slo.name, slo.title, slo.window, (), reason)


class _Unknown(Exception):
    """Ends one series as unknown with this reason."""


class SloHistory:
    """Range queries, one series per SLO; build one per event loop (see ``PrometheusSource``)."""

    def __init__(
        self,
        *,
        prometheus_url: str,
        timeout: float = 20.0,
        max_concurrency: int = 4,
        client: PrometheusConnect | None = None,
    ) -> None:
        self._prometheus = PrometheusSource(
            url=prometheus_url, timeout=timeout, max_concurrency=max_concurrency, client=client
        )

    def close(self) -> None:
        self._prometheus.close()

    async def budget_all(
        self, slos: Iterable[SloDefinition], *, end: datetime, points: int = DEFAULT_POINTS
    ) -> list[BudgetSeries]:
        """Every SLO's series over its own window ending at ``end``, in the given order."""
        return list(
            await asyncio.gather(*(self.budget_series(s, end=end, points=points) for s in slos))
        )

    async def budget_series(
        self, slo: SloDefinition, *, end: datetime, points: int = DEFAULT_POINTS
    ) -> BudgetSeries:
        """Budget left at ``points`` + 1 evenly spaced instants from ``end - window`` to ``end``."""
        if end.tzinfo is None:
            raise ValueError("budget_series needs a timezone-aware 'end'")
        window = slo.window_length
        step = max(timedelta(seconds=60), window / max(1, points))
        step = timedelta(seconds=int(step.total_seconds()))
        start = end - step * int(window / step)
        try:
            good, total = await asyncio.gather(
                self._range(good_expr(slo, slo.window), start, end, step),
                self._range(total_expr(slo, slo.window), start, end, step),
            )
        except (_Unknown, PrometheusUnanswered) as exc:
            return BudgetSeries.unknown(slo, str(exc))
        if not total:
            return BudgetSeries.unknown(slo, f"no data for {slo.name} over the last {slo.window}")
        # An events SLO with no good series at all had no good event; elsewhere absent is a gap.
        missing_good = 0.0 if isinstance(slo, EventsSlo) else None
        series = []
        instant = start
        while instant <= end:
            stamp = round(instant.timestamp())
            left = _budget_left(
                good.get(stamp, missing_good), total.get(stamp), objective=slo.objective
            )
            series.append((instant, left))
            instant += step
        return BudgetSeries(slo.name, slo.title, slo.window, tuple(series))

    async def _range(
        self, promql: str, start: datetime, end: datetime, step: timedelta
    ) -> dict[int, float]:
        """The one series of an aggregated expression as {unix second: value}."""
        rows = await self._prometheus.query_range(promql, start=start, end=end, step=step)
        return _values(rows)


def _values(rows: list[dict[str, Any]]) -> dict[int, float]:
    if not rows:
        return {}
    try:
        return {round(float(ts)): sample_value(v) for ts, v in rows[0]["values"]}
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise _Unknown(f"query error: unexpected answer: {exc!r}") from None


def _budget_left(good: float | None, total: float | None, *, objective: float) -> float | None:
    """The budget left for one step, or None when the step says nothing trustworthy."""
    if good is None or total is None or math.isnan(good) or math.isnan(total) or total <= 0:
        return None
    if good < 0 or good > total * (1 + 1e-9):
        return None
    ratio = budget.error_ratio(good=min(good, total), total=total)
    return budget.budget_left_pct(error_ratio=ratio, objective_pct=objective)


def unknown_series(slos: Sequence[SloDefinition], reason: str) -> list[BudgetSeries]:
    """Every SLO as unknown, e.g. when no Prometheus is configured."""
    return [BudgetSeries.unknown(slo, reason) for slo in slos]
