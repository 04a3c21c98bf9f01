"""Where the latency check reads brief latency when the run was given none.

The default reads the serving process's own ``/metrics`` histogram
(``llm_brief_latency_seconds``), which counts since that process started; an
installation with Prometheus can pass a source that asks for a recent window instead.
"""

from __future__ import annotations

import math
from typing import Protocol

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.runbooks.checks import histogram_quantile
from bot.urls import masked_url

HISTOGRAM = "llm_brief_latency_seconds"


class LatencySource(Protocol):
    async def quantile_seconds(self, *, quantile: float, mode: str | None) -> float | None:
        """The latency quantile in seconds (of one mode, or all); None when there is no data.

        Raises ``LatencyUnavailable`` when the source cannot be read.
        """
        ...


class LatencyUnavailable(Exception):
    """The source could not be read; ``str()`` says why, for the step's outcome."""


class ServingMetricsLatency:
    """Reads ``GET {base_url}/metrics`` of the serving process (a read, never retried)."""

    def __init__(self, *, base_url: str, timeout: float = 5.0) -> None:
        self._url = base_url.rstrip("/") + "/metrics"
        self._shown = masked_url(self._url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def quantile_seconds(self, *, quantile: float, mode: str | None) -> float | None:
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.get(self._url) as response,
            ):
                text = await response.text()
                if response.status != 200:
                    raise LatencyUnavailable(f"GET {self._shown} answered {response.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LatencyUnavailable(f"GET {self._shown} failed ({type(exc).__name__})") from exc
        return histogram_quantile(quantile, _buckets(text, mode))


def _buckets(exposition: str, mode: str | None) -> dict[float, float]:
    """Cumulative bucket counts ``{le: count}``, summed over modes unless one is given."""
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(exposition):
        if family.name != HISTOGRAM:
            continue
        for sample in family.samples:
            if not sample.name.endswith("_bucket"):
                continue
            if mode is not None and sample.labels.get("mode") != mode:
                continue
            bound = float(sample.labels["le"])
            buckets[bound] = buckets.get(bound, 0.0) + float(sample.value)
    return buckets if any(math.isinf(b) for b in buckets) else {}
