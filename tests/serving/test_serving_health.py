"""Health routes: the JSON of docs/guide.md#model-health-json, an unhealthy model as data,
the alert gauge."""

from __future__ import annotations

import socket

import pytest

from bot.serving.client import ServingClient, ServingRejected
from bot.serving.models import ModelStatus

from .conftest import Standin, sample

GUIDE_MODEL_KEYS = {
    "model_name", "status", "loaded", "inference_ready", "last_inference_ms", "memory_mb",
    "gpu_memory_mb", "error_message", "checked_at", "uptime_seconds",
}  # fmt: skip
GUIDE_ALL_KEYS = {
    "status", "healthy_count", "degraded_count", "unhealthy_count", "total_models", "models",
    "memory_mb", "gpu_available",
}  # fmt: skip


async def test_health_json_has_exactly_the_guides_keys(standin: Standin) -> None:
    async with standin.http.get(f"{standin.url}/health/llm", params={"model": "qwen"}) as r:
        qwen = await r.json()
    async with standin.http.get(f"{standin.url}/health/llm/all") as r:
        everything = await r.json()
    assert set(qwen) == GUIDE_MODEL_KEYS
    assert qwen["model_name"] == "qwen" and qwen["status"] == "healthy"
    assert qwen["checked_at"].endswith("Z") and qwen["error_message"] is None
    assert set(everything) == GUIDE_ALL_KEYS
    assert everything["models"] == {"qwen": "healthy", "mistral": "healthy", "llama": "healthy"}
    assert everything["memory_mb"] == 45678.5  # the guide's own example total


async def test_live_and_ready(client: ServingClient) -> None:
    assert (await client.live()).ok
    ready = await client.ready()
    assert ready.ok and ready.status == "ready"


async def test_qwen_down_is_data_counts_change_and_the_alert_gauge_fires(
    standin: Standin, client: ServingClient
) -> None:
    before = await standin.metrics()
    assert sample(before, "health_llm_qwen_status", status="unhealthy") == 0.0
    await standin.faults(model_down="qwen")

    qwen = await client.model_health("qwen")
    assert qwen.status is ModelStatus.UNHEALTHY
    assert not qwen.inference_ready and qwen.error_message
    overall = await client.all_models_health()
    assert (overall.healthy_count, overall.unhealthy_count, overall.total_models) == (2, 1, 3)
    assert overall.status is ModelStatus.DEGRADED and overall.models["qwen"] == "unhealthy"

    after = await standin.metrics()
    assert 'health_llm_qwen_status{status="unhealthy"} 1.0' in after
    assert sample(after, "health_llm_qwen_status", status="healthy") == 0.0
    assert sample(after, "health_llm_mistral_status", status="healthy") == 1.0


async def test_check_model_reports_ok_and_failed_checks(
    standin: Standin, client: ServingClient
) -> None:
    assert (await client.check_model("qwen")).ok
    await standin.faults(model_down="qwen", model_degraded="mistral")
    qwen = await client.check_model("qwen")
    assert not qwen.ok and qwen.status is ModelStatus.UNHEALTHY
    assert "not responding" in qwen.reason
    mistral = await client.check_model("mistral")
    assert mistral.ok and mistral.reason.startswith("degraded")
    unknown = await client.check_model("gpt")
    assert not unknown.ok and "unknown model 'gpt'" in unknown.reason


async def test_check_model_on_a_dead_port_fails_without_raising() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with ServingClient(base_url=f"http://127.0.0.1:{port}", timeout=0.5) as dead:
        check = await dead.check_model("qwen")
    assert not check.ok and check.health is None
    assert "connection refused" in check.reason and "/health/llm?model=qwen" in check.reason


async def test_unknown_model_is_rejected_with_the_servers_message(client: ServingClient) -> None:
    with pytest.raises(ServingRejected) as refused:
        await client.model_health("gpt")
    assert refused.value.status == 404
    assert "unknown model 'gpt'" in str(refused.value)


async def test_all_models_down_makes_the_process_not_ready(
    standin: Standin, client: ServingClient
) -> None:
    await standin.faults(model_down=["qwen", "mistral", "llama"])
    ready = await client.ready()
    assert not ready.ok and ready.detail == "no model is inference-ready"
    assert (await client.all_models_health()).status is ModelStatus.UNHEALTHY
