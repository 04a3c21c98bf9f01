"""A command that reads the team's policy refuses a missing sre.yaml by name; --config names it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.cli import invoke


async def test_policy_commands_refuse_a_missing_file_and_accept_config(
    database_url: str, tmp_path: Path
) -> None:
    misspelt = tmp_path / "sre.yml"
    present = tmp_path / "sre.yaml"
    present.write_text("oncall:\n  weekday: [U0AAA]\n  weekend: [U0DDD]\n", encoding="utf-8")
    env = {
        "DATABASE_URL": database_url,
        "SRE_CONFIG": str(misspelt),
        "SLACK_BOT_TOKEN": "",
        "PROMETHEUS_URL": "",
    }
    refused = [("oncall", "now"), ("slo", "check"), ("runbook", "list")]

    runs = await asyncio.gather(
        *(invoke(*command, env=env) for command in refused),
        invoke("--config", str(present), "oncall", "now", env=env),
        invoke("incident", "list", env=env),
    )

    for command, (code, out, err) in zip(refused, runs, strict=False):
        assert code == 2, (command, err)
        assert out == ""
        assert f"{misspelt}: no such file" in err and "--config" in err
        assert "Traceback" not in err
    code, out, err = runs[3]
    assert code == 0, err
    assert "U0DDD" in out
    # The guide's shell incident commands need no policy file while nothing is posted to Slack.
    code, _, err = runs[4]
    assert code == 0, err
