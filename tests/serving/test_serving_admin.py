"""Admin routes through the real client: downshift, breaker, rollback, replicas, dry runs."""

from __future__ import annotations

import pytest

from bot.serving.client import PlannedCall, ServingClient, ServingRejected
from bot.serving.models import BreakerState, Mode

from .conftest import Standin, sample


async def test_downshift_moves_creative_traffic_to_balanced_and_restore_undoes_it(
    standin: Standin, client: ServingClient
) -> None:
    assert (await client.routing()).downshifted() == {}
    routing = await client.set_routing(Mode.CREATIVE, Mode.BALANCED)
    assert routing.serving(Mode.CREATIVE) == "balanced"
    assert (await client.routing()).routing["creative"] == "balanced"

    await standin.traffic(30, mode="creative")
    metrics = await standin.metrics()
    assert sample(metrics, "llm_brief_latency_seconds_count", mode="balanced") == 30
    assert sample(metrics, "llm_brief_latency_seconds_count", mode="creative") == 0

    restored = await client.set_routing(Mode.CREATIVE, Mode.CREATIVE)
    assert restored.downshifted() == {}


async def test_open_breaker_fails_creative_traffic_until_downshifted(
    standin: Standin, client: ServingClient
) -> None:
    breakers = await client.set_breaker("qwen", BreakerState.OPEN)
    assert breakers.is_open("qwen") and not breakers.is_open("mistral")
    assert (await standin.traffic(10, mode="creative"))["statuses"] == {"503": 10}

    await client.set_routing(Mode.CREATIVE, Mode.BALANCED)
    assert (await standin.traffic(10, mode="creative"))["statuses"] == {"200": 10}

    await client.set_breaker("qwen", BreakerState.CLOSED)
    assert (await client.breakers()).breakers["qwen"] == "closed"


async def test_breaker_on_an_unknown_model_is_rejected(client: ServingClient) -> None:
    with pytest.raises(ServingRejected, match="unknown model 'gpt'"):
        await client.set_breaker("gpt", BreakerState.OPEN)


async def test_reward_runaway_then_rollback_to_a_stable_checkpoint(
    standin: Standin, client: ServingClient
) -> None:
    stable = await client.checkpoints()
    assert stable.checkpoints[0].id == "ppo-000100"
    assert all(20 <= c.reward_mean <= 40 and c.reward_std < 10 for c in stable.checkpoints)

    await standin.faults(reward_runaway=True)
    runaway = await client.checkpoints()
    current = runaway.current_checkpoint
    assert current is not None and current.id == "ppo-000180"
    assert current.reward_mean > 100 or current.reward_std > 50
    assert sample(await standin.metrics(), "rl_reward") == current.reward_mean

    after = await client.rollback(stable.current)
    assert after.current == stable.current
    metrics = await standin.metrics()
    assert sample(metrics, "rl_reward") == stable.checkpoints[-1].reward_mean
    assert sample(metrics, "rl_reward_std") < 10


async def test_rollback_to_an_unknown_checkpoint_is_a_404_with_the_servers_message(
    client: ServingClient,
) -> None:
    before = (await client.checkpoints()).current
    with pytest.raises(ServingRejected) as refused:
        await client.rollback("ppo-999999")
    assert refused.value.status == 404
    assert str(refused.value) == "serving POST /admin/rl/rollback: unknown checkpoint 'ppo-999999'"
    assert (await client.checkpoints()).current == before


async def test_replicas_scale_within_bounds_and_refuse_outside(client: ServingClient) -> None:
    assert (await client.replicas()).replicas == 2
    assert (await client.set_replicas(6)).replicas == 6
    for wrong in (0, 21):
        with pytest.raises(ServingRejected, match=f"replicas must be 1..20, got {wrong}"):
            await client.set_replicas(wrong)
    assert (await client.replicas()).replicas == 6


async def test_dry_run_describes_the_exact_calls_and_sends_nothing(
    standin: Standin, client: ServingClient
) -> None:
    planned = [
        client.describe_set_breaker("qwen", BreakerState.OPEN),
        client.describe_set_routing(Mode.CREATIVE, Mode.BALANCED),
        client.describe_rollback("ppo-000140"),
        client.describe_set_replicas(4),
    ]
    assert planned[1] == PlannedCall(
        "POST", f"{standin.url}/admin/routing", {"mode": "creative", "serve_with": "balanced"}
    )
    assert str(planned[0]).endswith('/admin/circuit-breaker {"model": "qwen", "state": "open"}')
    assert await standin.logged() == []

    for call in planned:  # what an approved run does with the persisted calls
        await client.perform(call)
    posts = await standin.logged(method="POST", prefix="/admin")
    assert [(p["path"], p["json"]) for p in posts] == [(c.url.removeprefix(standin.url), c.json)
                                                       for c in planned]  # fmt: skip
    assert all(p["status"] == 200 for p in posts)
    assert (await client.replicas()).replicas == 4


async def test_bad_json_bodies_get_a_400_that_says_why(standin: Standin) -> None:
    cases = {
        b"{not json": "not valid JSON",
        b"": "request body is empty",
        b"[1, 2]": "must be a JSON object",
        b'{"mode": "creative"}': "serve_with: Field required",
        b'{"mode": "turbo", "serve_with": "fast"}': "mode: Input should be",
    }
    for body, reason in cases.items():
        async with standin.http.post(f"{standin.url}/admin/routing", data=body) as response:
            assert response.status == 400
            assert reason in (await response.json())["detail"]
    async with standin.http.get(f"{standin.url}/admin/routing") as response:
        assert (await response.json())["routing"]["creative"] == "creative"
