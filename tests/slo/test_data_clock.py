"""An SLO asked about an instant Prometheus has no data for yet (the demo's clock skipped
ahead of the machine's, where its Prometheus records) is read at the latest data there is,
and the answer says so. Against the real Prometheus of ``history.py``, whose data ends at
``END_AT``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from bot.clock import FixedClock
from bot.slo.budget import SloStatus
from bot.slo.definitions import default_slos
from bot.slo.evaluation import SloEvaluator, Verdict
from bot.slo.service import SloService
from handlers.blocks.slo import report_blocks, slo_detail_blocks
from tests.slo import history as h

AHEAD = h.END_AT + timedelta(days=3, hours=2)  # "next handoff" pressed in the demo
NAME = "llm_creative_latency"


def _service(evaluator: SloEvaluator, *, data_at: FixedClock | None) -> SloService:
    return SloService(
        slos=default_slos(), evaluator=evaluator, clock=FixedClock(AHEAD), data_clock=data_at
    )


async def test_at_a_clock_skipped_past_the_data_no_burn_rate_is_known(
    evaluator: SloEvaluator,
) -> None:
    result = await _service(evaluator, data_at=None).evaluate(NAME)
    assert set(result.burn_rates.values()) == {None}  # what /slo showed as "n/a (no data)"
    assert "n/a (no data)" in json.dumps(slo_detail_blocks(result))


async def test_read_at_the_latest_data_and_the_answer_says_so(evaluator: SloEvaluator) -> None:
    service = _service(evaluator, data_at=FixedClock(h.END_AT))
    result = await service.evaluate(NAME)
    at_the_data = await evaluator.evaluate(service.definition(NAME), at=h.END_AT)
    assert result == replace(at_the_data, asked_at=AHEAD)
    assert result.status is SloStatus.WARNING
    assert None not in result.burn_rates.values()
    assert "n/a (no data)" not in json.dumps(slo_detail_blocks(result))
    detail = json.dumps(slo_detail_blocks(result))
    assert "Prometheus's latest data (the bot's clock reads <!date^" in detail
    assert f"<!date^{int(AHEAD.timestamp())}^" in detail
    assert f"evaluated <!date^{int(h.END_AT.timestamp())}^" in detail

    snapshot = await service.snapshot()
    assert (snapshot.at, snapshot.asked_at) == (h.END_AT, AHEAD)
    assert snapshot.verdict.verdict is Verdict.BLOCKED  # llm_balanced_latency, as at END_AT
    assert "Prometheus's latest data" in json.dumps(report_blocks(snapshot))


async def test_an_instant_the_data_covers_is_read_as_asked(evaluator: SloEvaluator) -> None:
    service = _service(evaluator, data_at=FixedClock(h.END_AT))
    earlier = h.END_AT - timedelta(hours=1)
    result = await service.evaluate(NAME, at=earlier)
    assert (result.evaluated_at, result.asked_at) == (earlier, None)
    assert "latest data" not in json.dumps(slo_detail_blocks(result))
