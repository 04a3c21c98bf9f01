"""The stand-in at its defaults, scraped by a real Prometheus for two minutes, gives every SLO of
the shipped sre.yaml a status, and `slo check` allows deploys (docs/guide.md#slos).

The two minutes are simulated: the stand-in's own traffic and metrics are driven through a
clock the test chooses, read every scrape interval the demo's Prometheus uses, backfilled
into a real Prometheus, and `slo check` is asked at the end of them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import generate_latest

from bot.clock import FixedClock
from bot.durations import parse_duration
from sandbox.demo.prometheus import SCRAPE_EVERY
from sandbox.serving.standin import DEFAULT_RATE, DEFAULT_SEED, StandinState
from tests.support.cli import run_cli
from tests.support.prometheus import PrometheusServer, Scrapes

PROJECT = Path(__file__).resolve().parents[2]
STARTED = datetime(2026, 10, 14, 10, 30, tzinfo=UTC)
RUNNING_FOR = timedelta(minutes=2)  # "the stand-in at its defaults for 2 minutes"


def _two_minutes_scraped() -> Scrapes:
    """The stand-in's exposition at every scrape from its start to two minutes later."""
    clock = FixedClock(STARTED)
    state = StandinState(seed=DEFAULT_SEED, traffic_per_second=DEFAULT_RATE, clock=clock)
    every = parse_duration(SCRAPE_EVERY)
    scrapes = Scrapes()
    while True:
        state.refresh_gauges()  # as its /metrics route does before answering
        scrapes.scrape(generate_latest(state.registry).decode(), at=int(clock.now().timestamp()))
        if clock.now() >= STARTED + RUNNING_FOR:
            return scrapes
        state.traffic_for(every.total_seconds())
        clock.advance(every)


async def test_two_minutes_of_default_traffic_make_every_slo_known(tmp_path: Path) -> None:
    prometheus = PrometheusServer(tmp_path / "prometheus")
    prometheus.backfill(_two_minutes_scraped().history())
    with prometheus:
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'artisan.db'}",
            "PROMETHEUS_URL": prometheus.start(),
            "SRE_CONFIG": str(PROJECT / "sre.yaml"),
            "SLACK_BOT_TOKEN": "",
        }
        at = (STARTED + RUNNING_FOR).isoformat()
        code, out, err = await run_cli("slo", "check", "--json", "--at", at, env=env)

    answer = json.loads(out)
    statuses = {slo["name"]: slo["status"] for slo in answer["slos"]}
    assert "unknown" not in statuses.values(), (statuses, err)
    assert set(statuses) >= {"llm_creative_latency", "api_availability"}
    assert code == 0, (out, err)
