"""``python -m sandbox.serving`` starts a stand-in an operator can curl."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp

from bot.serving.client import ServingClient, ServingUnavailable
from bot.serving.models import ProcessHealth
from tests.support.progress import eventually

from .conftest import sample

PROJECT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_the_command_serves_health_and_metrics_then_stops_on_sigterm() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox.serving", "--port", str(port), "--rate", "200", "--seed", "3",
        cwd=PROJECT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with ServingClient(base_url=f"http://127.0.0.1:{port}", timeout=0.5) as client:

            async def live() -> ProcessHealth | None:
                try:
                    return await client.live()
                except ServingUnavailable:
                    return None

            health = await eventually(live, within=60, description="the stand-in to come up")
            assert health.ok
            assert (await client.all_models_health()).total_models == 3

            async def served_briefs() -> float:  # background traffic is on by default
                metrics_url = f"http://127.0.0.1:{port}/metrics"
                async with aiohttp.ClientSession() as http, http.get(metrics_url) as response:
                    return sample(await response.text(), "api_requests_total", status="200")

            assert await eventually(served_briefs, within=60, description="briefs served") > 0
    finally:
        process.terminate()
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    assert f"serving stand-in on http://127.0.0.1:{port}" in output.decode()
