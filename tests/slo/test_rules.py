"""Generated Prometheus rules: promtool accepts them, and the burn-rate alerts fire when due."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.durations import parse_duration
from bot.slo.definitions import default_slos
from bot.slo.rules import ALERT_NAME, POLICY, burn_factor, render_rules


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "slo-rules.yaml"
    path.write_text(render_rules(default_slos()), encoding="utf-8")
    return path


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, check=False)


def _expected_alert(rules_file: Path, slo: str, long_window: str) -> dict[str, Any]:
    """The alert as promtool reports it: the rule's labels and (untemplated) annotations."""
    groups = yaml.safe_load(rules_file.read_text())["groups"]
    for rule in (rule for group in groups for rule in group["rules"]):
        labels = rule.get("labels", {})
        if rule.get("alert") == ALERT_NAME and (labels["slo"], labels["long_window"]) == (
            slo,
            long_window,
        ):
            return {"exp_labels": labels, "exp_annotations": rule["annotations"]}
    raise AssertionError(f"no alert for {slo} over {long_window}")


def test_factors_keep_the_budget_fractions() -> None:
    month, week = parse_duration("30d"), parse_duration("7d")
    assert [burn_factor(a, month) for a in POLICY] == [Fraction("14.4"), 6, 3, 1]
    assert [burn_factor(a, week) for a in POLICY] == [
        Fraction("3.36"),
        Fraction("1.4"),
        Fraction("0.7"),
        Fraction(7, 30),
    ]
    assert [(a.severity, a.long_window, a.short_window) for a in POLICY] == [
        ("page", "1h", "5m"),
        ("page", "6h", "30m"),
        ("ticket", "1d", "2h"),
        ("ticket", "3d", "6h"),
    ]


def test_promtool_accepts_the_rules(rules_file: Path) -> None:
    checked = _promtool("check", "rules", str(rules_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 55 rules found" in checked.stdout  # 5 SLOs × (7 recordings + 4 alerts)


def _promtool_test(tmp_path: Path, rules: Path, groups: list[dict[str, Any]]) -> None:
    test_file = tmp_path / f"{rules.stem}.test.yaml"
    spec = {"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": groups}
    test_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    tested = _promtool("test", "rules", str(test_file))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_page_fires_on_a_fast_burn(rules_file: Path, tmp_path: Path) -> None:
    api_alerts = [
        _expected_alert(rules_file, "api_availability", window)
        for window in ("1h", "6h", "1d", "3d")
    ]
    # 7-day SLO: the 1h page needs 3.36 × 5% = 16.8% slow, the 6h page 1.4 × 5% = 7%.
    creative_alerts = [
        _expected_alert(rules_file, "llm_creative_latency", window) for window in ("6h", "1d", "3d")
    ]
    _promtool_test(
        tmp_path,
        rules_file,
        [
            {
                "name": "30% of API requests failing: every window burns",
                "interval": "1m",
                "input_series": [
                    {"series": 'api_requests_total{status="200"}', "values": "0+70x120"},
                    {"series": 'api_requests_total{status="500"}', "values": "0+30x120"},
                ],
                "alert_rule_test": [
                    {"eval_time": "1h", "alertname": ALERT_NAME, "exp_alerts": api_alerts}
                ],
            },
            {
                "name": "15% of creative requests slow: no 1h page for the 7-day SLO",
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'llm_brief_latency_seconds_bucket{mode="creative",le="4.5"}',
                        "values": "0+85x120",
                    },
                    {
                        "series": 'llm_brief_latency_seconds_count{mode="creative"}',
                        "values": "0+100x120",
                    },
                ],
                "alert_rule_test": [
                    {"eval_time": "1h", "alertname": ALERT_NAME, "exp_alerts": creative_alerts}
                ],
            },
        ],
    )


def test_silent_on_a_normal_day(tmp_path: Path) -> None:
    # Only the API SLO: promtool evaluates every rule every minute of the day, which is slow.
    rules = tmp_path / "api-rules.yaml"
    rules.write_text(render_rules(default_slos()[:1]), encoding="utf-8")
    _promtool_test(
        tmp_path,
        rules,
        [
            {
                "name": "a normal day: 0.05% failing is half the sustainable rate",
                "interval": "1m",
                "input_series": [
                    {"series": 'api_requests_total{status="200"}', "values": "0+1999x1500"},
                    {"series": 'api_requests_total{status="500"}', "values": "0+1x1500"},
                ],
                "alert_rule_test": [
                    {"eval_time": t, "alertname": ALERT_NAME} for t in ("1h", "12h", "1d")
                ],
            }
        ],
    )
