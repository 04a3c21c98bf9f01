"""Prometheus as the SLO code reads it: one client, queries off the event loop, and every way
of not getting an answer turned into a reason fit to show a person.

prometheus-api-client is synchronous (requests), so each query runs in a worker thread, at most
``max_concurrency`` at once; build one source per event loop (it holds a semaphore). The
client and requests (a seventh of a second to import) are loaded at the first query, so a
process that never asks Prometheus never pays for them.
"""

from __future__ import annotations

import ast
import asyncio
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.urls import masked_url

if TYPE_CHECKING:
    import requests
    from prometheus_api_client import PrometheusConnect
    from prometheus_api_client.exceptions import PrometheusApiClientException

_HTTP_ERROR = re.compile(r"HTTP Status Code (\d+) \((.*)\)$", re.S)


class PrometheusUnanswered(Exception):
    """A query got no usable answer; the message says why (unreachable, query error, ...)."""


class PrometheusSource:
    """Instant and range queries against one Prometheus.

    ``timeout`` bounds each HTTP request and the query on the server; ``retries`` repeats a
    request that failed to connect or got a 502/504. ``close()`` releases the HTTP session.
    """

    def __init__(
        self,
        *,
        url: str,
        timeout: float,
        retries: int = 1,
        max_concurrency: int = 4,
        client: PrometheusConnect | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.shown_url = masked_url(self.url)
        self.timeout = timeout
        self._retries = retries
        self._limit = asyncio.Semaphore(max_concurrency)
        self._made: PrometheusConnect | None = client

    @property
    def _client(self) -> PrometheusConnect:
        if self._made is None:
            from prometheus_api_client import PrometheusConnect
            from urllib3.util.retry import Retry

            retry = Retry(total=self._retries, backoff_factor=0.2, status_forcelist=(502, 504))
            self._made = PrometheusConnect(url=self.url, retry=retry, timeout=self.timeout)
        return self._made

    def close(self) -> None:
        if self._made is not None:
            self._made.close()

    async def query(self, promql: str, *, at: datetime) -> list[dict[str, Any]]:
        """The rows of an instant vector at ``at``."""
        params = {"time": f"{at.timestamp():.3f}", "timeout": f"{self.timeout:g}s"}
        rows = await self._call(self._client.custom_query, promql, params=params)
        if not isinstance(rows, list):
            raise PrometheusUnanswered(
                f"query error: expected a vector from {self.shown_url}, got {rows!r:.80}"
            )
        return rows

    async def query_range(
        self, promql: str, *, start: datetime, end: datetime, step: timedelta
    ) -> list[dict[str, Any]]:
        """The rows of a range query (a matrix) from ``start`` to ``end`` every ``step``."""
        rows = await self._call(
            self._client.custom_query_range,
            promql,
            start_time=start.astimezone(UTC),
            end_time=end.astimezone(UTC),
            step=f"{int(step.total_seconds())}s",
            params={"timeout": f"{self.timeout:g}s"},
        )
        if not isinstance(rows, list):
            raise PrometheusUnanswered(
                f"query error: expected a matrix from {self.shown_url}, got {rows!r:.80}"
            )
        return rows

    async def _call(self, query: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        import requests
        from prometheus_api_client.exceptions import PrometheusApiClientException

        try:
            async with self._limit:
                return await asyncio.to_thread(query, *args, **kwargs)
        except requests.RequestException as exc:
            raise PrometheusUnanswered(
                f"Prometheus unreachable at {self.shown_url}: {self._why(exc)}"
            ) from None
        except PrometheusApiClientException as exc:
            raise PrometheusUnanswered(f"query error: {_api_error(exc)}") from None
        except (ValueError, KeyError, TypeError) as exc:  # not a Prometheus API answer
            raise PrometheusUnanswered(
                f"query error: unexpected answer from {self.shown_url}: {exc}"
            ) from None

    def _why(self, exc: requests.RequestException) -> str:
        """A short cause; requests wraps read timeouts in ConnectionError once retries run out."""
        import requests

        text = str(exc).lower()
        if isinstance(exc, requests.Timeout) or "timed out" in text:
            return f"no answer within {self.timeout:g}s"
        if "refused" in text:
            return "connection refused"
        if "resolve" in text or "name or service not known" in text:
            return "host not found"
        return type(exc).__name__


def sample_value(value: object) -> float:
    """Prometheus sends numbers as strings, including "NaN" and "+Inf"."""
    try:
        return float(str(value))
    except ValueError:
        return math.nan


def _api_error(exc: PrometheusApiClientException) -> str:
    """Prometheus's own error text out of the client's "HTTP Status Code 400 (b'...')"."""
    text = str(exc)
    match = _HTTP_ERROR.search(text)
    if match is None:
        return text
    status, body = match.groups()
    try:
        raw = ast.literal_eval(body)
        payload = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
        return f"{payload['error']} (HTTP {status})"
    except (ValueError, SyntaxError, KeyError, TypeError):
        return f"HTTP {status}: {body[:200]}"
