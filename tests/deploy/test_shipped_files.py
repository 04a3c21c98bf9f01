"""deploy/: promtool and amtool accept the files, every runbook alert is complete and tested,
and the SLO rules are exactly what ``python -m bot slo rules`` makes of sre.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.runbooks import load_definitions
from tests.deploy.conftest import DEPLOY, ROOT, run_tool


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _alert_rules(path: Path) -> list[dict[str, Any]]:
    return [rule for group in _load(path)["groups"] for rule in group["rules"] if "alert" in rule]


def test_the_slo_rules_are_what_the_command_generates_from_sre_yaml(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    generated = subprocess.run(
        [sys.executable, "-m", "bot", "slo", "rules"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={
            **os.environ,
            "SRE_CONFIG": str(ROOT / "sre.yaml"),
            "DATABASE_URL": f"sqlite:///{database}",
        },
    )
    assert generated.returncode == 0, generated.stderr
    shipped = (DEPLOY / "rules" / "slo-rules.yml").read_text(encoding="utf-8")
    assert generated.stdout == shipped, (
        "deploy/rules/slo-rules.yml is stale: python -m bot slo rules "
        "--output deploy/rules/slo-rules.yml"
    )
    # Generating rules touches no database: none created, here or in the working directory.
    assert not database.exists() and list(tmp_path.iterdir()) == []


def test_promtool_checks_the_config_and_every_rule_file() -> None:
    checked = run_tool("promtool", "check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 3 rules found" in checked.stdout  # runbook-alerts.yml
    assert "SUCCESS: 45 rules found" in checked.stdout  # slo-rules.yml
    rules = run_tool(
        "promtool", "check", "rules", *sorted(str(p) for p in DEPLOY.glob("rules/*.yml"))
    )
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_amtool_checks_alertmanager_yml() -> None:
    checked = run_tool("amtool", "check-config", "alertmanager.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 inhibit rules" in checked.stdout


def test_alertmanager_posts_to_the_bot_with_a_token_and_a_page_inhibits_its_ticket() -> None:
    config = _load(DEPLOY / "alertmanager.yml")
    receiver = next(r for r in config["receivers"] if r["name"] == config["route"]["receiver"])
    (hook,) = receiver["webhook_configs"]
    assert hook["url"].endswith("/alertmanager") and hook["send_resolved"] is True
    assert hook["http_config"]["authorization"]["type"] == "Bearer"
    assert "credentials_file" in hook["http_config"]["authorization"]
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['alertname="SLOErrorBudgetBurn"', 'severity="page"'],
            "target_matchers": ['alertname="SLOErrorBudgetBurn"', 'severity="ticket"'],
            "equal": ["slo"],
        }
    ]


def test_every_runbook_alert_names_a_runbook_and_is_tested_firing_and_silent() -> None:
    runbooks = set(load_definitions())
    alerts = _alert_rules(DEPLOY / "rules" / "runbook-alerts.yml")
    assert {a["alert"] for a in alerts} == {
        "QwenModelUnhealthy",
        "RLRewardRunaway",
        "APIHighLatency",
    }
    for alert in alerts:
        assert alert["labels"]["severity"] in {"critical", "warning"}
        assert alert["annotations"]["runbook"] in runbooks
        assert alert["annotations"]["summary"]
    tests = _load(DEPLOY / "tests" / "runbook-alerts.test.yml")["tests"]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    fired = {case["alertname"] for case in cases if case.get("exp_alerts")}
    silent = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    assert fired == silent == {a["alert"] for a in alerts}


def test_promtool_unit_tests_of_the_runbook_alerts() -> None:
    tested = run_tool("promtool", "test", "rules", "tests/runbook-alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
