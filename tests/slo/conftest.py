"""A real Prometheus over the generated history of ``history.py``, started once per session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.slo.evaluation import SloEvaluator
from tests.slo.history import build_history
from tests.support.prometheus import PrometheusServer


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Backfill the history (a few seconds) and serve it; stopped at the end of the session."""
    server = PrometheusServer(tmp_path_factory.mktemp("prometheus"))
    server.backfill(build_history())
    with server:
        yield server.start()


@pytest.fixture
async def evaluator(prometheus_url: str) -> AsyncIterator[SloEvaluator]:
    """A fresh evaluator per test, so no asyncio object outlives its event loop."""
    slo_evaluator = SloEvaluator(prometheus_url=prometheus_url, timeout=5.0)
    yield slo_evaluator
    slo_evaluator.close()
