"""Generated Prometheus rules: one page and one ticket alert per SLO, as
docs/guide.md#burn-rate-alerts lays them out, and promtool accepts them. Their firing is
tested on the shipped copy (tests/deploy/)."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.durations import parse_duration
from bot.slo.definitions import default_slos
from bot.slo.rules import ALERT_NAME, burn_factor, policy_for, render_rules


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "slo-rules.yaml"
    path.write_text(render_rules(default_slos()), encoding="utf-8")
    return path


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, check=False)


def _alerts(rules_file: Path) -> list[dict[str, Any]]:
    groups = yaml.safe_load(rules_file.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_the_catalogues_of_spec_section_5() -> None:
    month, week = parse_duration("30d"), parse_duration("7d")
    assert [burn_factor(a, month) for a in policy_for(month)] == [Fraction("14.4"), 6, 3, 1]
    # Sloth's 7-day catalogue: 8% in 1h, 12.5% in 6h, 20% in 1d, 42% in 3d.
    assert [burn_factor(a, week) for a in policy_for(week)] == [
        Fraction("13.44"),
        Fraction("3.5"),
        Fraction("1.4"),
        Fraction("0.98"),
    ]
    for window in (month, week):
        assert [(a.severity, a.long_window, a.short_window) for a in policy_for(window)] == [
            ("page", "1h", "5m"),
            ("page", "6h", "30m"),
            ("ticket", "1d", "2h"),
            ("ticket", "3d", "6h"),
        ]


def test_one_page_and_one_ticket_alert_per_slo_with_both_window_pairs(rules_file: Path) -> None:
    alerts = _alerts(rules_file)
    assert sorted((a["labels"]["slo"], a["labels"]["severity"]) for a in alerts) == sorted(
        (slo.name, severity) for slo in default_slos() for severity in ("page", "ticket")
    )
    for alert in alerts:
        assert alert["alert"] == ALERT_NAME
        assert set(alert["labels"]) == {"severity", "slo"}
        assert {"summary", "description", "runbook"} <= set(alert["annotations"])
        pairs = alert["expr"].split(" or ")
        windows = ("1h", "5m", "6h", "30m") if alert["labels"]["severity"] == "page" else None
        windows = windows or ("1d", "2h", "3d", "6h")
        assert len(pairs) == 2
        for pair, (long, short) in zip(pairs, (windows[:2], windows[2:]), strict=True):
            assert f"slo:sli_error:ratio_rate{long}{{" in pair
            assert f"slo:sli_error:ratio_rate{short}{{" in pair


def test_promtool_accepts_the_rules(rules_file: Path) -> None:
    checked = _promtool("check", "rules", str(rules_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 45 rules found" in checked.stdout  # 5 SLOs × (7 recordings + 2 alerts)


def test_silent_on_a_normal_day(tmp_path: Path) -> None:
    # Only the API SLO: promtool evaluates every rule every minute of the day, which is slow.
    rules = tmp_path / "api-rules.yaml"
    rules.write_text(render_rules(default_slos()[:1]), encoding="utf-8")
    spec = {
        "rule_files": [str(rules)],
        "evaluation_interval": "5m",
        "tests": [
            {
                "name": "a normal day: 0.05% failing is half the sustainable rate",
                "interval": "5m",
                "input_series": [
                    {"series": 'api_requests_total{status="200"}', "values": "0+9995x300"},
                    {"series": 'api_requests_total{status="500"}', "values": "0+5x300"},
                ],
                "alert_rule_test": [
                    {"eval_time": t, "alertname": ALERT_NAME} for t in ("1h", "12h", "1d")
                ],
            }
        ],
    }
    test_file = tmp_path / "api-rules.test.yaml"
    test_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    tested = _promtool("test", "rules", str(test_file))
    assert tested.returncode == 0, tested.stdout + tested.stderr
