"""PromQL for the good and total counts of an SLO over a window, shared by evaluation and rules.

Every expression is a single aggregated instant vector (``sum(...)``), so a result is one
number or nothing. Counting semantics, per kind:

- events / latency: ``increase(x[w])`` per series, summed. Prometheus corrects counter resets
  and extrapolates only towards range boundaries that have no sample nearby.
- threshold: ``sum_over_time((metric <op> bool bound)[w:res])`` over
  ``count_over_time(metric[w:res])``. The subquery evaluates the gauge at every ``res``-aligned
  step in the window, each step seeing the latest raw sample (within the 5-minute lookback);
  so "samples" are those steps and the ratio is exactly the fraction of steps on the good side,
  i.e. the fraction of time at ``res`` resolution. Steps with no fresh sample count in neither.
"""

from __future__ import annotations

from decimal import Decimal

from bot.slo.definitions import EventsSlo, LatencySlo, SloDefinition, ThresholdSlo


def quote(value: str) -> str:
    """A PromQL double-quoted string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def matchers(labels: dict[str, str], *extra: str) -> str:
    """``{a="x",b="y"}`` from equality labels plus ready-made matchers; ``""`` when empty."""
    parts = [f"{key}={quote(value)}" for key, value in sorted(labels.items())]
    parts.extend(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def le_spellings(threshold: float) -> list[str]:
    """How exporters write ``le`` for a bound: Python clients "1.0", Go clients "1", both "2.5".

    Used where Prometheus cannot be asked (rule files); evaluation reads the real values.
    """
    python = repr(float(threshold))
    digits = Decimal(python).normalize()
    exponent = digits.adjusted()
    if exponent < -4 or exponent >= 6:  # Go's 'g' format switches to e-notation here
        mantissa = f"{digits.scaleb(-exponent):f}"
        go = f"{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    else:
        go = f"{digits:f}"
    return sorted({python, go})


def le_matcher(spellings: list[str]) -> str:
    """``le="2.5"`` for one spelling, else a regex alternation of the exact strings."""
    if len(spellings) == 1:
        return f"le={quote(spellings[0])}"
    escaped = "|".join(s.replace(".", "\\\\.").replace("+", "\\\\+") for s in spellings)
    return f'le=~"{escaped}"'


def bucket_selector(slo: LatencySlo) -> str:
    """All buckets of the SLO's histogram series, for discovering its ``le`` values."""
    return f"{slo.metric}_bucket{matchers(slo.labels)}"


def good_expr(slo: SloDefinition, window: str, *, le: list[str] | None = None) -> str:
    """Good events (or good samples) in ``window``; ``le`` are the exact bucket spellings."""
    if isinstance(slo, EventsSlo):
        return f"sum(increase({slo.good}[{window}]))"
    if isinstance(slo, LatencySlo):
        spellings = le if le is not None else le_spellings(slo.threshold_seconds)
        bucket = f"{slo.metric}_bucket{matchers(slo.labels, le_matcher(spellings))}"
        return f"sum(increase({bucket}[{window}]))"
    return (
        f"sum(sum_over_time(({_gauge(slo)} {slo.comparison} bool {slo.bound!r})"
        f"[{window}:{slo.resolution}]))"
    )


def total_expr(slo: SloDefinition, window: str) -> str:
    """All events (or samples) in ``window``."""
    if isinstance(slo, EventsSlo):
        return f"sum(increase({slo.total}[{window}]))"
    if isinstance(slo, LatencySlo):
        return f"sum(increase({slo.metric}_count{matchers(slo.labels)}[{window}]))"
    return f"sum(count_over_time({_gauge(slo)}[{window}:{slo.resolution}]))"


def _gauge(slo: ThresholdSlo) -> str:
    return f"{slo.metric}{matchers(slo.labels)}"
