"""Timeouts, retries and the one-POST rule, proved by the stand-in's request log."""

from __future__ import annotations

import time

import pytest

from bot.serving.client import ServingClient, ServingRejected, ServingUnavailable
from bot.serving.models import Mode

from .conftest import Standin


async def test_a_hanging_server_times_out_quickly(standin: Standin) -> None:
    await standin.faults(hang_seconds=5, route="/health/llm/all")
    async with ServingClient(base_url=standin.url, timeout=0.5, read_retries=0) as impatient:
        started = time.monotonic()
        with pytest.raises(ServingUnavailable, match=r"no answer within 0\.5s"):
            await impatient.all_models_health()
    assert time.monotonic() - started < 1.5


async def test_a_post_that_times_out_is_sent_once_and_says_the_outcome_is_unknown(
    standin: Standin,
) -> None:
    await standin.faults(hang_seconds=5, route="/admin/routing")
    async with ServingClient(base_url=standin.url, timeout=0.5) as impatient:
        with pytest.raises(ServingUnavailable, match="may or may not have been applied"):
            await impatient.set_routing(Mode.CREATIVE, Mode.BALANCED)
    assert len(await standin.logged(method="POST", prefix="/admin/routing")) == 1


async def test_a_read_is_retried_after_a_503(standin: Standin, client: ServingClient) -> None:
    await standin.faults(fail_next=1, route="/admin/routing")
    assert (await client.routing()).routing["creative"] == "creative"
    gets = await standin.logged(method="GET", prefix="/admin/routing")
    assert [g["status"] for g in gets] == [503, 200]


async def test_a_read_gives_up_after_its_retries(standin: Standin, client: ServingClient) -> None:
    await standin.faults(fail_next=5, route="/admin/replicas")
    with pytest.raises(ServingUnavailable, match=r"answered 503: .*\(tried 3 times\)"):
        await client.replicas()
    assert len(await standin.logged(method="GET", prefix="/admin/replicas")) == 3


async def test_a_post_is_never_retried_after_a_503(standin: Standin, client: ServingClient) -> None:
    await standin.faults(fail_next=1, route="/admin/rl/rollback")
    with pytest.raises(ServingUnavailable) as failed:
        await client.rollback("ppo-000120")
    assert failed.value.status == 503
    posts = await standin.logged(method="POST", prefix="/admin/rl/rollback")
    assert [(p["status"], p["json"]) for p in posts] == [(503, {"checkpoint": "ppo-000120"})]
    assert (await client.checkpoints()).current == "ppo-000160"


async def test_a_rejection_is_not_retried(standin: Standin, client: ServingClient) -> None:
    with pytest.raises(ServingRejected):
        await client.model_health("gpt")
    assert len(await standin.logged(method="GET", prefix="/health/llm")) == 1


async def test_clearing_faults_releases_a_hung_request(standin: Standin) -> None:
    await standin.faults(hang_seconds=30)
    async with ServingClient(base_url=standin.url, timeout=0.3, read_retries=0) as impatient:
        with pytest.raises(ServingUnavailable):
            await impatient.live()
    async with standin.http.delete(f"{standin.url}/_standin/faults") as response:
        assert (await response.json())["hang_seconds"] == {}
    async with ServingClient(base_url=standin.url, timeout=0.5) as patient:
        assert (await patient.live()).ok
