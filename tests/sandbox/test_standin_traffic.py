"""The stand-in's simulated traffic reaches all three modes at its default rate, so every
latency SLO (creative included) has data to be judged on."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from sandbox.serving.standin import StandinState
from tests.support.progress import eventually

PROJECT = Path(__file__).resolve().parents[2]


def _observed_per_mode(exposition: str) -> dict[str, float]:
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "llm_brief_latency_seconds_count":
                counts[sample.labels["mode"]] = float(sample.value)
    return counts


def test_ticks_of_two_requests_still_take_the_modes_in_turn() -> None:
    state = StandinState()
    for _ in range(3):  # the default 20/s, ticked every 0.1 s, is 2 requests a tick
        state.generate(2)
    assert _observed_per_mode(generate_latest(state.registry).decode()) == {
        "fast": 2.0,
        "balanced": 2.0,
        "creative": 2.0,
    }


async def test_the_command_at_its_default_rate_serves_creative_briefs_too() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox.serving", "--port", str(port),
        cwd=PROJECT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:
            counts: dict[str, float] = {}

            async def three_of_each() -> bool:
                nonlocal counts
                try:
                    async with http.get(f"http://127.0.0.1:{port}/metrics") as answer:
                        counts = _observed_per_mode(await answer.text())
                except aiohttp.ClientConnectionError:
                    return False  # not listening yet
                return bool(counts) and min(counts.values()) >= 3

            await eventually(three_of_each, within=60, description="3 briefs of every mode")
    finally:
        process.terminate()
        await process.wait()
    assert set(counts) == {"fast", "balanced", "creative"}
    assert counts["creative"] >= 3, f"creative briefs observed: {counts}"
