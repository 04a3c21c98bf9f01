"""The guide's Python code for working and closing an incident, run as written against a real
database (docs/guide.md#python-api).

Only the import line differs from the guide (``bot.manager`` instead of fragrance_ai's).
The incident is the guide's own INC-20251014-103000, opened as the guide's JSON opens it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.manager
from bot.app import build_container
from bot.clock import FixedClock
from bot.errors import TransitionForbidden
from bot.incidents.model import Severity
from bot.settings import Environment
from tests.support.config import CHANNELS_YAML, sandbox_config

GUIDE_ID = "INC-20251014-103000"


@pytest.fixture
def guide_incident(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The environment a guide reader has: DATABASE_URL and SRE_CONFIG; yields the URL."""
    config = tmp_path / "sre.yaml"
    config.write_text(CHANNELS_YAML, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SRE_CONFIG", str(config))
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setattr(bot.manager, "_manager", None)
    yield database_url
    if bot.manager._manager is not None:
        bot.manager._manager.close()


def _open_guide_incident(database_url: str, severity: Severity) -> None:
    """The guide's incident, created at the instant its ID names."""
    clock = FixedClock(datetime(2025, 10, 14, 10, 30, tzinfo=UTC))
    container = build_container(
        Environment(DATABASE_URL=database_url), sandbox_config(), clock=clock
    )
    manager = bot.manager.IncidentManager(container)
    try:
        created = manager.create(
            "Qwen LLM Failure", severity, "Qwen model not responding", ["LLM", "Qwen"]
        )
        assert created.id == GUIDE_ID
    finally:
        manager.close()


def _guide_section_4_3_and_4_4() -> None:
    # --- the guide's status update (Python part), import line adapted ------------------
    from bot.manager import IncidentStatus, get_incident_manager

    manager = get_incident_manager()
    manager.update_status(
        "INC-20251014-103000",
        IncidentStatus.INVESTIGATING,
        "Checking Qwen health endpoint",
        "alice",
    )

    # --- the guide's root cause, resolution and close -----------------------------------
    # 근본 원인 설정
    manager.set_root_cause(
        "INC-20251014-103000",
        "Qwen model OOM due to memory leak in inference pipeline",
        "alice",
    )

    # 해결 방법 설정
    manager.set_resolution(
        "INC-20251014-103000",
        "Restarted Qwen service with increased memory limit",
        "alice",
    )

    # 사건 종료
    manager.close_incident("INC-20251014-103000", "alice")


@pytest.mark.engine
def test_the_guide_closes_an_investigating_incident(guide_incident: str) -> None:
    _open_guide_incident(guide_incident, Severity.SEV3)

    _guide_section_4_3_and_4_4()

    incident = bot.manager.get_incident_manager().get(GUIDE_ID)
    assert incident.status is bot.manager.IncidentStatus.CLOSED
    assert incident.resolution == "Restarted Qwen service with increased memory limit"
    actions = [(entry.action, entry.note) for entry in incident.timeline]
    resolved = [note for action, note in actions if action == "status → resolved"]
    assert resolved and "resolved on close" in resolved[0]
    assert actions[-1][0] == "closed"


def test_a_sev2_is_resolved_on_close_and_waits_for_its_postmortem(guide_incident: str) -> None:
    """The guide opens the incident as Sev2, whose postmortem is required before closing."""
    _open_guide_incident(guide_incident, Severity.SEV2)

    with pytest.raises(TransitionForbidden, match="postmortem"):
        _guide_section_4_3_and_4_4()
    manager = bot.manager.get_incident_manager()
    assert manager.get(GUIDE_ID).status is bot.manager.IncidentStatus.RESOLVED

    # The guide's postmortem completion, then the close again.
    manager.complete_postmortem(
        "INC-20251014-103000",
        "https://wiki.company.com/postmortems/2025-10-14-qwen-failure",
    )
    closed = manager.close_incident("INC-20251014-103000", "alice")
    assert closed.status is bot.manager.IncidentStatus.CLOSED
