"""A fresh evaluator per test over the session's real Prometheus (``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.slo.evaluation import SloEvaluator


@pytest.fixture
async def evaluator(prometheus_url: str) -> AsyncIterator[SloEvaluator]:
    """A fresh evaluator per test, so no asyncio object outlives its event loop."""
    slo_evaluator = SloEvaluator(prometheus_url=prometheus_url, timeout=5.0)
    yield slo_evaluator
    slo_evaluator.close()
