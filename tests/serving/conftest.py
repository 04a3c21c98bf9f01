"""A real stand-in on a free local port, the real client, and the stand-in's control routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.serving.client import ServingClient
from sandbox.serving.standin import StandinState, create_standin_app


@dataclass
class Standin:
    """Handle on a running stand-in: its URL and its ``/_standin`` control routes."""

    url: str
    http: aiohttp.ClientSession

    async def faults(self, **change: Any) -> dict[str, Any]:
        async with self.http.post(f"{self.url}/_standin/faults", json=change) as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
            return body

    async def traffic(self, requests: int, mode: str | None = None) -> dict[str, Any]:
        order: dict[str, Any] = {"requests": requests}
        if mode:
            order["mode"] = mode
        async with self.http.post(f"{self.url}/_standin/traffic", json=order) as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
            return body

    async def logged(self, method: str = "", prefix: str = "") -> list[dict[str, Any]]:
        params = {"method": method, "prefix": prefix}
        async with self.http.get(f"{self.url}/_standin/requests", params=params) as response:
            entries: list[dict[str, Any]] = (await response.json())["requests"]
            return entries

    async def metrics(self) -> str:
        async with self.http.get(f"{self.url}/metrics") as response:
            assert response.status == 200
            return await response.text()


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition; fails the test when absent."""
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    raise AssertionError(f"no sample {name}{labels} in /metrics")


@asynccontextmanager
async def running_standin(state: StandinState) -> AsyncIterator[Standin]:
    """Serve ``state`` on a free port of 127.0.0.1 for the duration of the block."""
    runner = web.AppRunner(create_standin_app(state), shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:
            yield Standin(url=f"http://127.0.0.1:{port}", http=http)
    finally:
        await runner.cleanup()


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with running_standin(StandinState(seed=7)) as running:
        yield running


@pytest.fixture
async def client(standin: Standin) -> AsyncIterator[ServingClient]:
    async with ServingClient(base_url=standin.url, timeout=2.0, retry_backoff=0.01) as serving:
        yield serving
