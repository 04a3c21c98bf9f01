"""The metric history the SLO tests run against, and the parameters it is generated from.

One sample per minute, every timestamp a whole minute, ending at END. An instant query at a
whole minute then has samples exactly on both range boundaries (Prometheus 2.x ranges are
closed), so ``increase()`` extrapolates by zero and equals the true count: the expected
values in the tests are computed from the constants below, by hand, and must match to 1e-6.

- api_requests_total{status}: 100 requests a minute; 1 failure (status 500) on every whole
  hour; a one-hour outage where 30 of the 100 fail each minute; a process restart inside the
  30-day window (both counters restart from zero); a worse outage just before the window.
- llm_brief_latency_seconds{mode}: per-minute latency counts per mode; a restart of the
  serving process inside the 7-day window; before the window, creative is much slower.
- rl_reward: 12.5, except a dip (45 minutes at 9.5, then 15 at exactly 10.0, which is not
  "> 10") inside the window and a long dip before it.
- idle_requests_total: a counter that never moves (zero total, for the NaN case).
- sparse_requests_total: one good request in the whole 30-day window (too little data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from tests.support.prometheus import HistogramPoint, OpenMetricsHistory, Sample

END_AT = datetime(2026, 10, 1, tzinfo=UTC)
END = int(END_AT.timestamp())
MINUTE, HOUR, DAY = 60, 3600, 86400

# --- API availability (30-day window) ------------------------------------------------------
API_START = END - 30 * DAY - 3 * HOUR
REQUESTS_PER_MINUTE = 100
OUTAGE_START = END - 10 * DAY + 6 * HOUR  # samples in (OUTAGE_START, OUTAGE_START + 1h]
OUTAGE_FAILED_PER_MINUTE = 30
OLD_OUTAGE_START = END - 30 * DAY - 2 * HOUR  # before the window: must not count
OLD_OUTAGE_FAILED_PER_MINUTE = 100
API_RESTART = END - 20 * DAY + 7 * HOUR + 17 * MINUTE  # both counters restart here


def api_failed(ts: int) -> int:
    """Failed requests counted at the sample ``ts`` (i.e. in the minute ending at ``ts``)."""
    if OUTAGE_START < ts <= OUTAGE_START + HOUR:
        return OUTAGE_FAILED_PER_MINUTE
    if OLD_OUTAGE_START < ts <= OLD_OUTAGE_START + HOUR:
        return OLD_OUTAGE_FAILED_PER_MINUTE
    return 1 if ts % HOUR == 0 else 0


# --- LLM latency (7-day window) ----------------------------------------------------------
LATENCY_START = END - 7 * DAY - 3 * HOUR
LATENCY_RESTART = END - 3 * DAY + HOUR + 23 * MINUTE
BUCKETS = ("0.5", "1.0", "2.5", "3.2", "4.5", "10.0", "+Inf")
# Requests per minute falling in each bucket's own slice: (le 0.5], (0.5, 1.0], …, (10, +Inf).
FAST_PER_MINUTE = (40, 35, 24, 1, 0, 0, 0)  # 99 of 100 at or under 2.5 s
BALANCED_PER_MINUTE = (50, 30, 80, 27, 10, 3, 0)  # 187 of 200 at or under 3.2 s
CREATIVE_SLOW_EVERY = 5  # creative: 100 a minute, 4 over 4.5 s, 5 on every fifth minute
OLD_CREATIVE_UNTIL = END - 7 * DAY - HOUR  # before the window creative is half slow


def creative_per_minute(ts: int) -> tuple[int, ...]:
    if ts <= OLD_CREATIVE_UNTIL:
        return (10, 10, 10, 10, 10, 50, 0)
    slow = 5 if (ts // MINUTE) % CREATIVE_SLOW_EVERY == 0 else 4
    return (30, 30, 20, 10, 10 - slow, slow, 0)


# --- RL reward (7-day window, 1-minute resolution) -------------------------------------------
REWARD_START = END - 7 * DAY - 3 * HOUR
REWARD_OK = 12.5
DIP_START = END - 2 * DAY + 3 * HOUR  # samples at DIP_START + 0..44 min: 9.5; 45..59: 10.0
DIP_LOW_MINUTES, DIP_AT_BOUND_MINUTES = 45, 15
OLD_DIP = (END - 7 * DAY - 150 * MINUTE, END - 7 * DAY - 30 * MINUTE)


def reward(ts: int) -> float:
    minute = (ts - DIP_START) // MINUTE
    if 0 <= minute < DIP_LOW_MINUTES:
        return 9.5
    if DIP_LOW_MINUTES <= minute < DIP_LOW_MINUTES + DIP_AT_BOUND_MINUTES:
        return 10.0
    if OLD_DIP[0] <= ts < OLD_DIP[1]:
        return 3.0
    return REWARD_OK


# --- generation -------------------------------------------------------------------------------


def _minutes(start: int) -> range:
    return range(start, END + 1, MINUTE)


def _counter(start: int, restart: int, increments: Iterator[tuple[int, int]]) -> Iterator[Sample]:
    """Cumulative samples from per-minute increments, restarting from zero at ``restart``."""
    value = 0
    for ts, added in increments:
        value = added if ts == restart else value + added
        yield ts, float(value)


def _histogram(start: int, slices: Callable[[int], tuple[int, ...]]) -> Iterator[HistogramPoint]:
    counts = [0] * len(BUCKETS)
    observed = 0.0
    for ts in _minutes(start):
        added = slices(ts)
        if ts == LATENCY_RESTART:
            counts, observed = [0] * len(BUCKETS), 0.0
        running = 0
        for index, amount in enumerate(added):
            running += amount
            counts[index] += running
        observed += sum(added) * 1.5
        yield ts, dict(zip(BUCKETS, (float(c) for c in counts), strict=True)), observed


def build_history() -> OpenMetricsHistory:
    history = OpenMetricsHistory()
    history.counter(
        "api_requests",
        {"status": "200"},
        _counter(
            API_START,
            API_RESTART,
            ((ts, REQUESTS_PER_MINUTE - api_failed(ts)) for ts in _minutes(API_START)),
        ),
    )
    history.counter(
        "api_requests",
        {"status": "500"},
        _counter(API_START, API_RESTART, ((ts, api_failed(ts)) for ts in _minutes(API_START))),
    )
    history.counter(
        "idle_requests",
        {"status": "200"},
        ((ts, 0.0) for ts in range(API_START, END + 1, HOUR)),
    )
    history.counter(
        "sparse_requests",
        {"status": "200"},
        ((ts, 0.0 if ts < END - DAY else 1.0) for ts in range(API_START, END + 1, HOUR)),
    )
    latency = "llm_brief_latency_seconds"
    history.histogram(
        latency, {"mode": "fast"}, _histogram(LATENCY_START, lambda _: FAST_PER_MINUTE)
    )
    history.histogram(
        latency, {"mode": "balanced"}, _histogram(LATENCY_START, lambda _: BALANCED_PER_MINUTE)
    )
    history.histogram(latency, {"mode": "creative"}, _histogram(LATENCY_START, creative_per_minute))
    history.gauge("rl_reward", {}, ((ts, reward(ts)) for ts in _minutes(REWARD_START)))
    return history
