"""The other HTTP routes of ``serve``: health, readiness and the bot's own metrics."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_container
from bot.incidents.model import Severity
from bot.settings import Environment
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.engine
async def test_live_and_ready(bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bot.url}/health/live") as live:
            assert live.status == 200
        async with http.get(f"{bot.url}/health/ready") as ready:
            assert ready.status == 200 and (await ready.json())["status"] == "ready"


@pytest.mark.parametrize(
    ("database", "redis", "problem"),
    [
        ("postgresql://nobody@127.0.0.1:1/none", None, "database unreachable"),
        ("sqlite://", "redis://127.0.0.1:1/0", "Redis unreachable"),
    ],
)
async def test_ready_is_503_with_the_reason(database: str, redis: str | None, problem: str) -> None:
    env = Environment(DATABASE_URL=database, REDIS_URL=redis, SLACK_BOT_TOKEN="")
    container = build_container(env, sandbox_config())
    runner = web.AppRunner(container.web_app(slack=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/health/ready") as ready,
        ):
            assert ready.status == 503
            assert problem in (await ready.json())["problems"][0]
    finally:
        await runner.cleanup()
        await container.close()


async def test_metrics_count_requests_incidents_and_ack_latency(bot: Bot) -> None:
    incident = await bot.container.incidents.create(
        title="x", severity=Severity.SEV1, actor="U0AAA"
    )
    await bot.slack.slash("/incident", f"ack {incident.id}", user="U0BBB")
    await bot.emulator.wait_for(lambda e: e.responses())
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/metrics") as response:
        samples = _samples(await response.text())
    assert samples[("artisan_sre_incidents", (("state", "acknowledged"),))] == 1
    assert samples[("artisan_sre_incidents", (("state", "open"),))] == 0
    assert samples[("artisan_sre_slack_requests_total", (("kind", "command"),))] == 1
    assert samples[("artisan_sre_incident_ack_latency_seconds_count", (("severity", "sev1"),))] == 1
    latency = samples[("artisan_sre_incident_ack_latency_seconds_sum", (("severity", "sev1"),))]
    assert 0 <= latency < timedelta(minutes=1).total_seconds()
