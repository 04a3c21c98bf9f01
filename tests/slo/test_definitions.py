"""The slos: configuration: the guide's five by default, and messages that name key and problem."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.slo.definitions import (
    EXAMPLE_YAML,
    EventsSlo,
    LatencySlo,
    SloConfigError,
    ThresholdSlo,
    default_slos,
    parse_slo_definitions,
)

AVAILABILITY: dict[str, Any] = {
    "name": "api_availability",
    "kind": "events",
    "objective": 99.9,
    "window": "30d",
    "good": 'api_requests_total{status=~"2.."}',
    "total": "api_requests_total",
}


def _error(entry: dict[str, Any]) -> str:
    with pytest.raises(SloConfigError) as caught:
        parse_slo_definitions([entry])
    return str(caught.value)


def test_defaults_are_the_guide_table() -> None:
    slos = {slo.name: slo for slo in default_slos()}
    assert list(slos) == [
        "api_availability",
        "llm_fast_latency",
        "llm_balanced_latency",
        "llm_creative_latency",
        "rl_reward_stability",
    ]
    api = slos["api_availability"]
    assert isinstance(api, EventsSlo)
    assert (api.objective, api.window, api.title) == (99.9, "30d", "API Availability")
    assert api.good == 'api_requests_total{status=~"2.."}'
    assert api.total == "api_requests_total"
    for name, mode, seconds in [
        ("llm_fast_latency", "fast", 2.5),
        ("llm_balanced_latency", "balanced", 3.2),
        ("llm_creative_latency", "creative", 4.5),
    ]:
        slo = slos[name]
        assert isinstance(slo, LatencySlo)
        assert (slo.objective, slo.window, slo.threshold_seconds) == (95.0, "7d", seconds)
        assert (slo.metric, slo.labels) == ("llm_brief_latency_seconds", {"mode": mode})
    assert slos["llm_creative_latency"].title == "LLM Creative Mode Latency (p95)"
    reward = slos["rl_reward_stability"]
    assert isinstance(reward, ThresholdSlo)
    assert (reward.objective, reward.window, reward.metric) == (99.0, "7d", "rl_reward")
    assert (reward.comparison, reward.bound) == (">", 10.0)


def test_example_yaml_is_a_pasteable_slos_block() -> None:
    loaded = yaml.safe_load(EXAMPLE_YAML)
    assert list(loaded) == ["slos"]
    assert parse_slo_definitions(loaded["slos"]) == default_slos()


def test_window_is_normalised_and_title_defaults_from_name() -> None:
    (slo,) = parse_slo_definitions([{**AVAILABILITY, "window": "720h"}])
    assert slo.window == "30d"
    assert slo.title == "Api Availability"
    (weekly,) = parse_slo_definitions([{**AVAILABILITY, "window": "1w"}])
    assert weekly.window == "7d"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"objective": 100},
            "slos[0].objective: objective must be a percentage strictly between 0 and 100",
        ),
        ({"objective": 0}, "slos[0].objective: objective must be a percentage"),
        ({"window": "30x"}, "slos[0].window: invalid duration '30x'"),
        ({"window": "0d"}, "slos[0].window: invalid duration '0d': must be greater than zero"),
        ({"name": "API Availability"}, "slos[0].name: name must be a slug"),
        ({"kind": "ratio"}, "slos[0].kind: unknown kind 'ratio'; expected one of events, latency"),
        ({"good": "sum(rate(x[5m]))"}, "slos[0].good: must be a counter selector"),
        ({"totl": "x"}, "slos[0].totl: Extra inputs are not permitted"),
    ],
)
def test_bad_entries_name_the_key_and_the_problem(change: dict[str, Any], message: str) -> None:
    assert message in _error({**AVAILABILITY, **change})


def test_missing_kind_is_named() -> None:
    entry = {k: v for k, v in AVAILABILITY.items() if k != "kind"}
    assert "slos[0].kind: missing; set it to one of events, latency, threshold" in _error(entry)


def test_latency_entry_problems() -> None:
    entry = {
        "name": "llm_fast_latency",
        "kind": "latency",
        "objective": 95,
        "window": "7d",
        "metric": "llm_brief_latency_seconds_bucket",
        "labels": {"le": "2.5"},
        "threshold_seconds": -1,
    }
    text = _error(entry)
    assert "slos[0].metric: metric is the histogram's base name; drop the _bucket suffix" in text
    assert "slos[0].labels: labels: 'le' is not a usable label name" in text
    assert "slos[0].threshold_seconds: threshold_seconds must be a positive number" in text


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(SloConfigError, match=r"slos\[1\].name: duplicate SLO name"):
        parse_slo_definitions([AVAILABILITY, AVAILABILITY])
