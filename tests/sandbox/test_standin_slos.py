"""The stand-in at its defaults, scraped by a real Prometheus for two minutes, gives every
SLO of the shipped sre.yaml a status, and `slo check` allows deploys (docs/guide.md#slos)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from sandbox.demo.prometheus import DemoPrometheus, free_port
from tests.support.cli import run_cli

PROJECT = Path(__file__).resolve().parents[2]
RUNNING_FOR = 120.0  # seconds: "the stand-in at its defaults for 2 minutes"


async def test_two_minutes_of_default_traffic_make_every_slo_known(tmp_path: Path) -> None:
    port = free_port()
    standin = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox.serving", "--port", str(port),
        cwd=PROJECT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    prometheus = DemoPrometheus.start(workdir=tmp_path / "prometheus", target=f"127.0.0.1:{port}")
    assert prometheus is not None
    try:
        assert await prometheus.wait_ready()
        await asyncio.sleep(RUNNING_FOR)
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'artisan.db'}",
            "PROMETHEUS_URL": prometheus.url,
            "SRE_CONFIG": str(PROJECT / "sre.yaml"),
            "SLACK_BOT_TOKEN": "",
        }
        code, out, err = await run_cli("slo", "check", "--json", env=env)
    finally:
        prometheus.stop()
        standin.terminate()
        await standin.wait()

    answer = json.loads(out)
    statuses = {slo["name"]: slo["status"] for slo in answer["slos"]}
    assert "unknown" not in statuses.values(), (statuses, err)
    assert set(statuses) >= {"llm_creative_latency", "api_availability"}
    assert code == 0, (out, err)
