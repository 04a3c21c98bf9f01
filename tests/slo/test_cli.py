"""``python -m bot slo check|report|rules`` as a deploy pipeline runs it, against real Prometheus."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from bot.slo.definitions import EXAMPLE_YAML
from tests.slo.history import END_AT
from tests.support.cli import run_cli

AT = END_AT.isoformat().replace("+00:00", "Z")


def _config(tmp_path: Path, names: list[str]) -> str:
    every = yaml.safe_load(EXAMPLE_YAML)["slos"]
    path = tmp_path / "sre.yaml"
    path.write_text(yaml.safe_dump({"slos": [s for s in every if s["name"] in names]}))
    return str(path)


@pytest.fixture
def cli_env(database_url: str, prometheus_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "PROMETHEUS_URL": prometheus_url, "SLACK_BOT_TOKEN": ""}


async def test_exit_1_and_the_guide_line_when_an_slo_is_exhausted(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = _config(tmp_path, ["api_availability", "llm_balanced_latency"])
    code, out, _ = await run_cli("slo", "check", "--at", AT, env={**cli_env, "SRE_CONFIG": config})
    assert code == 1
    assert out.strip() == "🚨 Deployments blocked due to SLO violations: llm_balanced_latency"


async def test_exit_0_when_every_slo_has_budget(cli_env: dict[str, str], tmp_path: Path) -> None:
    config = _config(tmp_path, ["llm_fast_latency"])
    code, out, _ = await run_cli("slo", "check", "--at", AT, env={**cli_env, "SRE_CONFIG": config})
    assert code == 0
    assert "Deployments allowed" in out


async def test_exit_2_when_prometheus_cannot_be_reached(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = _config(tmp_path, ["llm_fast_latency"])
    env = {**cli_env, "SRE_CONFIG": config, "PROMETHEUS_URL": "http://127.0.0.1:9"}
    code, out, _ = await run_cli("slo", "check", "--json", "--at", AT, env=env)
    assert code == 2
    verdict = json.loads(out)
    assert verdict["verdict"] == "unknown" and verdict["slos"][0]["budget_left_pct"] is None
    code, out, _ = await run_cli("slo", "check", "--at", AT, env=env)
    assert code == 2 and "allowed" not in out.lower()


async def test_report_prints_the_guide_report(cli_env: dict[str, str], tmp_path: Path) -> None:
    config = _config(tmp_path, ["llm_fast_latency", "llm_creative_latency"])
    code, out, _ = await run_cli("slo", "report", "--at", AT, env={**cli_env, "SRE_CONFIG": config})
    assert code == 0
    assert out.splitlines()[1] == "SLO & Error Budget Report"
    assert "LLM Fast Mode Latency (p95)" in out and "Error Budget Left:" in out


async def test_bad_at_is_refused(cli_env: dict[str, str]) -> None:
    code, _, err = await run_cli("slo", "check", "--at", "yesterday", env=cli_env)
    assert code == 2 and "not an ISO time" in err


async def test_rules_are_written_for_promtool(cli_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "slo-rules.yaml"
    code, _, _ = await run_cli(
        "slo",
        "rules",
        "--output",
        str(target),
        env={
            **cli_env,
            "SRE_CONFIG": _config(
                tmp_path, [s["name"] for s in yaml.safe_load(EXAMPLE_YAML)["slos"]]
            ),
        },
    )
    assert code == 0
    checked = await asyncio.create_subprocess_exec(
        "promtool", "check", "rules", str(target), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await checked.communicate()
    assert checked.returncode == 0 and b"SUCCESS" in out


async def test_an_overspent_budget_reads_as_overspent(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = _config(tmp_path, ["llm_balanced_latency"])
    code, out, _ = await run_cli("slo", "report", "--at", AT, env={**cli_env, "SRE_CONFIG": config})
    assert code == 0
    assert "Error Budget Left:   none (1.30× spent)" in out and "-30.00%" not in out
