"""Join, don't open: which open incident a new signal about some components joins
(``bot/incidents/joining.py``) and how a team says so in sre.yaml."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.errors import ConfigurationError
from bot.incidents.joining import JoinRules, incident_to_join
from bot.incidents.model import Incident, IncidentStatus, Severity
from bot.incidents.service import IncidentService
from bot.settings import load_config
from storage.db import Database
from tests.conftest import BACKEND

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
RULES = JoinRules()


def _incident(
    n: int,
    components: list[str],
    *,
    age: timedelta = timedelta(minutes=10),
    status: IncidentStatus = IncidentStatus.OPEN,
) -> Incident:
    return Incident(
        id=f"INC-20261207-0{n}0000",
        title=f"incident {n}",
        description="",
        severity=Severity.SEV2,
        status=status,
        components=components,
        created_at=NOW - age,
        created_by="alertmanager",
    )


def _joins(components: list[str], *incidents: Incident, rules: JoinRules = RULES) -> str | None:
    found = incident_to_join(list(incidents), components=components, rules=rules, now=NOW)
    return found.id if found else None


def test_a_shared_component_joins_whatever_its_case() -> None:
    qwen = _incident(1, ["LLM", "Qwen"])
    assert _joins(["qwen"], qwen) == qwen.id  # the alert's label `model: qwen`
    assert _joins([" QWEN "], qwen) == qwen.id


def test_a_related_group_joins_the_api_slo_to_the_llm_trouble_but_not_rl_to_llm() -> None:
    qwen = _incident(1, ["LLM", "Qwen"])
    rl = _incident(2, ["RL"])
    assert _joins(["API"], qwen) == qwen.id  # the API availability SLO's page
    assert _joins(["RL"], qwen) is None
    assert _joins(["LLM", "creative mode"], rl) is None
    assert _joins(["model-serving"], qwen, rl) is None  # in no group, shares nothing


def test_a_persons_incident_is_joined_only_through_a_component_it_names() -> None:
    declared = replace(_incident(1, ["payments", "API"]), created_by="U0AAA")
    assert _joins(["LLM", "Qwen"], declared) is None  # related to the API, not named
    assert _joins(["api"], declared) == declared.id
    assert _joins(["LLM"], replace(declared, created_by="cli")) is None


def test_the_earliest_open_recent_incident_is_joined() -> None:
    older = _incident(1, ["API"], age=timedelta(hours=2))
    newer = _incident(2, ["LLM"], age=timedelta(minutes=5))
    assert _joins(["API"], newer, older) == older.id
    stale = _incident(3, ["API"], age=timedelta(hours=7))  # the default window is 6 h
    assert _joins(["API"], stale) is None
    resolved = _incident(4, ["API"], status=IncidentStatus.RESOLVED)
    assert _joins(["API"], resolved, stale) is None


def test_a_signal_without_components_or_joining_off_joins_nothing() -> None:
    qwen = _incident(1, ["LLM", "Qwen"])
    assert _joins([], qwen) is None
    assert _joins(["Qwen"], qwen, rules=JoinRules(within=None)) is None


def test_sre_yaml_sets_the_window_and_the_groups(tmp_path: Path) -> None:
    path = tmp_path / "sre.yaml"
    path.write_text("incidents:\n  join:\n    within: 30m\n    related:\n      - [search, api]\n")
    rules = load_config(path).incidents.join.rules
    assert rules.within == timedelta(minutes=30)
    assert rules.about_the_same(["Search"], ["API"])
    assert not rules.about_the_same(["LLM"], ["API"])  # the groups replace the defaults

    path.write_text("incidents:\n  join:\n    within: off\n")
    assert load_config(path).incidents.join.rules.within is None


def test_a_group_of_one_is_refused_with_the_key(tmp_path: Path) -> None:
    path = tmp_path / "sre.yaml"
    path.write_text("incidents:\n  join:\n    related:\n      - [api]\n")
    with pytest.raises(ConfigurationError) as refused:
        load_config(path)
    assert "incidents.join.related" in refused.value.message
    assert "a group relates two or more components" in refused.value.message


@pytest.mark.engine
async def test_signals_arriving_together_about_one_trouble_open_one_incident(
    database_url: str,
) -> None:
    """Four signals at once (an SLO page, the probes' runbook, two alerts), from two
    processes where the engine has several: one opens the incident, three join it."""
    clock = FixedClock(NOW)
    # PostgreSQL: each "process" has its own pool, as two workers would; SQLite has one writer.
    databases = [Database(database_url) for _ in range(2 if BACKEND == "postgres" else 1)]
    services = [IncidentService(db=db, clock=clock) for db in databases]
    try:
        openings = await asyncio.gather(
            *(
                services[n % len(services)].open_or_join(
                    title=f"signal {n}",
                    severity=Severity.SEV2,
                    actor="alertmanager",
                    source=f"signal {n}",
                    request_key=f"signal:{n}",
                    components=components,
                )
                for n, components in enumerate([["API"], ["LLM", "Qwen"], ["qwen"], ["LLM"]])
            )
        )
        assert len({o.incident.id for o in openings}) == 1
        assert sorted(o.joined for o in openings) == [False, True, True, True]
        stored = await services[0].list_incidents(active_only=False)
        assert len(stored) == 1
        assert [e.action for e in (await services[0].get(incident_id=stored[0].id)).timeline].count(
            "joined"
        ) == 3
    finally:
        for db in databases:
            await db.dispose()
