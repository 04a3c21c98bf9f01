"""Evaluate SLOs against Prometheus at an instant, and turn the results into a deploy verdict.

Every failure to know (Prometheus down, a query error, no or too little data, NaN, a latency
threshold that is not a bucket) becomes status ``unknown`` with a reason and no budget numbers:
an unknown SLO is never shown as 100% or 0%, and the verdict fails closed on it
(docs/guide.md#deploy-verdict).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.slo import budget
from bot.slo.budget import SloStatus
from bot.slo.definitions import LatencySlo, SloDefinition
from bot.slo.prometheus import PrometheusSource, PrometheusUnanswered, sample_value
from bot.slo.queries import bucket_selector, good_expr, total_expr

if TYPE_CHECKING:
    from prometheus_api_client import PrometheusConnect

BURN_WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
"""The windows of the burn-rate alerts (docs/guide.md#burn-rate-alerts), in every result."""

_PART_LABEL = "slo_part"

QUERY_BUDGET_SECONDS = 10.0
"""How long one SLO's evaluation may take, all queries and retries together: a person asking
``/slo check`` hears "cannot tell" within it when Prometheus hangs (docs/guide.md#slos)."""


def _no_burn_rates() -> dict[str, float | None]:
    return dict.fromkeys(BURN_WINDOWS)


@dataclass(frozen=True)
class SloResult:
    """One SLO at one instant. All number fields are None when ``status`` is unknown."""

    name: str
    title: str
    kind: str
    objective: float  # percent
    window: str
    status: SloStatus
    evaluated_at: datetime
    reason: str | None = None  # why the status is unknown
    good: float | None = None  # events, or samples for the threshold kind
    total: float | None = None
    error_ratio: float | None = None
    actual: float | None = None  # percent good
    budget_used_pct: float | None = None
    budget_left_pct: float | None = None  # may be negative
    budget_left_events: float | None = None  # allowed bad − bad
    burn_rates: Mapping[str, float | None] = field(default_factory=_no_burn_rates)
    asked_at: datetime | None = None  # later than evaluated_at: the data ended there
    query: str | None = None  # the PromQL that gave no usable answer: for --json, not people

    @property
    def bad(self) -> float | None:
        return None if self.good is None or self.total is None else self.total - self.good

    @classmethod
    def unknown(
        cls, slo: SloDefinition, *, reason: str, at: datetime, query: str | None = None
    ) -> SloResult:
        """``reason`` is for a person (no PromQL, no timestamps); ``query`` keeps the PromQL."""
        return cls(
            name=slo.name,
            title=slo.title,
            kind=slo.kind,
            objective=slo.objective,
            window=slo.window,
            status=SloStatus.UNKNOWN,
            evaluated_at=at,
            reason=reason,
            query=query,
        )


class Verdict(StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


_EXIT_CODES = {Verdict.ALLOWED: 0, Verdict.BLOCKED: 1, Verdict.UNKNOWN: 2}


@dataclass(frozen=True)
class DeployVerdict:
    """Whether deploys may go ahead; ``blocking`` are exhausted SLOs, ``unknown`` unreadable."""

    verdict: Verdict
    blocking: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 allowed, 1 blocked, 2 cannot tell (the ``slo check`` contract)."""
        return _EXIT_CODES[self.verdict]


def deploy_verdict(results: Sequence[SloResult]) -> DeployVerdict:
    """Fail closed: any exhausted → blocked; else any unknown (or no SLOs) → unknown."""
    blocking = tuple(r.name for r in results if r.status is SloStatus.EXHAUSTED)
    unknown = tuple(r.name for r in results if r.status is SloStatus.UNKNOWN)
    if blocking:
        return DeployVerdict(Verdict.BLOCKED, blocking, unknown)
    if unknown or not results:
        return DeployVerdict(Verdict.UNKNOWN, (), unknown)
    return DeployVerdict(Verdict.ALLOWED)


class _Unknown(Exception):
    """Raised inside an evaluation to end it with status unknown and this reason (and the
    query that gave no usable answer, kept apart from the reason a person reads)."""

    def __init__(self, reason: str, *, query: str | None = None) -> None:
        super().__init__(reason)
        self.query = query


class SloEvaluator:
    """Reads SLOs from Prometheus with instant queries at a given time.

    Build one evaluator per event loop (see ``PrometheusSource``). ``timeout`` bounds each HTTP
    request and the query on the server; ``budget`` bounds one SLO's whole evaluation (retries
    and several queries included), so a hanging Prometheus gives "unknown" within it. Fewer
    than the SLO's ``min_events`` events (or samples) in the window, or ``min_total_events``
    if that is more, is "too little data".
    """

    def __init__(
        self,
        *,
        prometheus_url: str,
        timeout: float = 10.0,
        budget: float = QUERY_BUDGET_SECONDS,
        min_total_events: int = 1,
        retries: int = 1,
        max_concurrency: int = 4,
        client: PrometheusConnect | None = None,
    ) -> None:
        self._prometheus = PrometheusSource(
            url=prometheus_url,
            timeout=timeout,
            retries=retries,
            max_concurrency=max_concurrency,
            client=client,
        )
        self._min_total = max(1, min_total_events)
        self._budget = budget

    def close(self) -> None:
        self._prometheus.close()

    async def evaluate_all(self, slos: Iterable[SloDefinition], *, at: datetime) -> list[SloResult]:
        """Every SLO at ``at``, in the given order."""
        return list(await asyncio.gather(*(self.evaluate(slo, at=at) for slo in slos)))

    async def evaluate(self, slo: SloDefinition, *, at: datetime) -> SloResult:
        """The SLO's budget and burn rates at ``at`` (timezone-aware)."""
        if at.tzinfo is None:
            raise ValueError("evaluate needs a timezone-aware 'at'")
        try:
            async with asyncio.timeout(self._budget):
                le = await self._bucket_spellings(slo, at) if isinstance(slo, LatencySlo) else None
                counts = await self._counts(slo, at, le)
            return self._result(slo, counts, at)
        except _Unknown as exc:
            return SloResult.unknown(slo, reason=str(exc), at=at, query=exc.query)
        except PrometheusUnanswered as exc:
            return SloResult.unknown(slo, reason=str(exc), at=at)
        except TimeoutError:
            reason = (
                f"Prometheus unreachable at {self._prometheus.shown_url}: "
                f"no answer within the {self._budget:g}s query budget"
            )
            return SloResult.unknown(slo, reason=reason, at=at)

    async def _bucket_spellings(self, slo: LatencySlo, at: datetime) -> list[str]:
        """The ``le`` strings equal to the threshold; unknown when it is not a bucket."""
        query = f"group by (le) (last_over_time({bucket_selector(slo)}[{slo.window}]))"
        rows = await self._prometheus.query(query, at=at)
        les = [str(row.get("metric", {}).get("le", "")) for row in rows]
        bounds = {le: sample_value(le) for le in les if le}
        if not bounds:
            raise _Unknown(
                f"no data: Prometheus has no {slo.metric} buckets in the last {slo.window}",
                query=query,
            )
        matching = sorted(s for s, v in bounds.items() if v == slo.threshold_seconds)
        if not matching:
            listed = ", ".join(sorted(bounds, key=lambda s: bounds[s]))
            raise _Unknown(
                f"configuration error: {slo.name}: threshold {slo.threshold_seconds:g}s is not a "
                f"bucket boundary of {slo.metric} (buckets: {listed})"
            )
        return matching

    async def _counts(
        self, slo: SloDefinition, at: datetime, le: list[str] | None
    ) -> dict[str, float]:
        """Good and total for the SLO window and every burn window, in one query."""
        parts = []
        for window in dict.fromkeys((slo.window, *BURN_WINDOWS)):
            parts.append(_tagged(good_expr(slo, window, le=le), f"good:{window}"))
            parts.append(_tagged(total_expr(slo, window), f"total:{window}"))
        rows = await self._prometheus.query(" or ".join(parts), at=at)
        try:
            return {str(row["metric"][_PART_LABEL]): sample_value(row["value"][1]) for row in rows}
        except (KeyError, IndexError, TypeError) as exc:
            raise _Unknown(
                f"query error: unexpected answer from {self._prometheus.shown_url}: {exc!r}"
            ) from None

    def _result(self, slo: SloDefinition, counts: Mapping[str, float], at: datetime) -> SloResult:
        total = counts.get(f"total:{slo.window}")
        # Good absent while total is present means no good event at all (e.g. no 2xx series).
        good = counts.get(f"good:{slo.window}", 0.0)
        if total is None:
            raise _Unknown(
                f"no data: Prometheus has nothing to count in the last {slo.window}",
                query=total_expr(slo, slo.window),
            )
        if math.isnan(total) or math.isnan(good):
            raise _Unknown(f"NaN: Prometheus returned NaN for {slo.name} over {slo.window}")
        if total == 0:
            raise _Unknown(f"NaN: no events in the last {slo.window} (0 good of 0 total)")
        needed = max(slo.min_events, self._min_total)
        if total < needed:
            raise _Unknown(
                f"too little data: {total:g} events in the last {slo.window}, "
                f"need at least {needed}"
            )
        if good > total * (1 + 1e-9) or good < 0:
            raise _Unknown(f"inconsistent data: good {good:g} against total {total:g}")
        good = min(good, total)
        ratio = budget.error_ratio(good=good, total=total)
        left = budget.budget_left_pct(error_ratio=ratio, objective_pct=slo.objective)
        return SloResult(
            name=slo.name,
            title=slo.title,
            kind=slo.kind,
            objective=slo.objective,
            window=slo.window,
            status=budget.status_for(left),
            evaluated_at=at,
            good=good,
            total=total,
            error_ratio=ratio,
            actual=100.0 * (1.0 - ratio),
            budget_used_pct=100.0 - left,
            budget_left_pct=left,
            budget_left_events=budget.budget_left_events(
                good=good, total=total, objective_pct=slo.objective
            ),
            burn_rates={w: _burn_rate(counts, w, slo.objective) for w in BURN_WINDOWS},
        )


def _tagged(expr: str, part: str) -> str:
    """The expression with a ``slo_part`` label, so several can travel in one query."""
    return f'label_replace({expr}, "{_PART_LABEL}", "{part}", "", "")'


def _burn_rate(counts: Mapping[str, float], window: str, objective: float) -> float | None:
    total = counts.get(f"total:{window}")
    good = counts.get(f"good:{window}", 0.0)
    if total is None or math.isnan(total) or math.isnan(good) or total <= 0:
        return None
    ratio = budget.error_ratio(good=min(good, total), total=total)
    return budget.burn_rate(error_ratio=ratio, objective_pct=objective)
