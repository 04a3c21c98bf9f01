"""The guide's synchronous Python API, used as its examples use it (docs/guide.md#python-api)."""

from __future__ import annotations

import pytest

from bot.app import build_container
from bot.errors import TransitionForbidden
from bot.manager import IncidentManager, IncidentStatus
from bot.settings import Environment, SreConfig
from tests.support.clock import quiet_clock


def test_the_guide_sequence(database_url: str) -> None:
    manager = IncidentManager(
        build_container(
            Environment(DATABASE_URL=database_url, SLACK_BOT_TOKEN=""),
            SreConfig(),
            clock=quiet_clock(),
        )
    )
    try:
        incident = manager.create(
            "Qwen LLM Failure", "Sev2", "Qwen model not responding", ["LLM", "Qwen"]
        )
        manager.acknowledge(incident.id, "alice")
        manager.update_status(
            incident.id, IncidentStatus.INVESTIGATING, "Checking Qwen health endpoint", "alice"
        )
        manager.set_root_cause(
            incident.id, "Qwen model OOM due to memory leak in inference pipeline", "alice"
        )
        manager.set_resolution(
            incident.id, "Restarted Qwen service with increased memory limit", "alice"
        )
        manager.update_status(incident.id, IncidentStatus.RESOLVED, "", "alice")
        with pytest.raises(TransitionForbidden, match="postmortem"):
            manager.close_incident(incident.id, "alice")
        manager.complete_postmortem(
            incident.id, "https://wiki.company.com/postmortems/2025-10-14-qwen-failure"
        )
        closed = manager.close_incident(incident.id, "alice")
        assert closed.status is IncidentStatus.CLOSED
        assert closed.root_cause == "Qwen model OOM due to memory leak in inference pipeline"
        assert manager.report().total == 1
    finally:
        manager.close()
