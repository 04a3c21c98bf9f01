"""The stand-in's /metrics: what Prometheus and the SLO queries read."""

from __future__ import annotations

from sandbox.serving.standin import StandinState

from .conftest import Standin, running_standin, sample


async def test_histogram_has_the_slo_buckets_and_counts_every_generated_brief(
    standin: Standin,
) -> None:
    result = await standin.traffic(300)
    assert result == {"generated": 300, "statuses": {"200": 300}}
    metrics = await standin.metrics()
    for mode in ("fast", "balanced", "creative"):
        assert sample(metrics, "llm_brief_latency_seconds_count", mode=mode) == 100
        for le in ("2.5", "3.2", "4.5"):
            assert f'llm_brief_latency_seconds_bucket{{le="{le}",mode="{mode}"}}' in metrics
    assert sample(metrics, "api_requests_total", status="200") == 300
    # healthy traffic meets the guide's latency targets (≥ 95% under each threshold)
    for mode, le in (("fast", "2.5"), ("balanced", "3.2"), ("creative", "4.5")):
        assert sample(metrics, "llm_brief_latency_seconds_bucket", mode=mode, le=le) >= 95


async def test_added_latency_pushes_creative_past_its_target(standin: Standin) -> None:
    await standin.faults(added_latency_seconds=3.0, mode="creative")
    await standin.traffic(50, mode="creative")
    await standin.traffic(50, mode="fast")
    metrics = await standin.metrics()
    slow = sample(metrics, "llm_brief_latency_seconds_bucket", mode="creative", le="4.5")
    assert slow < 25  # most creative briefs now miss 4.5 s
    assert sample(metrics, "llm_brief_latency_seconds_bucket", mode="fast", le="2.5") >= 48


async def test_error_rate_and_a_dead_model_show_as_failed_requests(standin: Standin) -> None:
    await standin.faults(error_rate=0.2)
    statuses = (await standin.traffic(500))["statuses"]
    assert 60 <= statuses["500"] <= 140 and statuses["200"] == 500 - statuses["500"]
    await standin.faults(error_rate=0.0, model_down="qwen")
    assert (await standin.traffic(10, mode="creative"))["statuses"] == {"500": 10}
    metrics = await standin.metrics()
    assert sample(metrics, "api_requests_total", status="500") == statuses["500"] + 10


async def test_the_seed_makes_traffic_reproducible() -> None:
    sums = []
    for seed in (11, 11, 12):
        async with running_standin(StandinState(seed=seed)) as standin:
            await standin.traffic(60)
            metrics = await standin.metrics()
            sums.append(sample(metrics, "llm_brief_latency_seconds_sum", mode="creative"))
    assert sums[0] == sums[1] != sums[2]
