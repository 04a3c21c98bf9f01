"""The guide's synchronous Python API over the async incident service (docs/guide.md#python-api).

``get_incident_manager()`` reads the same environment as the CLI, so a script, the CLI and
Slack all change one database. Calls block; each runs on a private event loop thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from bot.app import Container, build_container
from bot.core import prepare_database
from bot.incidents.model import Incident, IncidentStatus, Severity
from bot.incidents.report import IncidentReport
from bot.settings import load_config, load_environment

__all__ = ["IncidentManager", "IncidentStatus", "Severity", "get_incident_manager"]

T = TypeVar("T")


class IncidentManager:
    def __init__(self, container: Container) -> None:
        self._container = container
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="incident-manager", daemon=True
        )
        self._thread.start()

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def create(
        self,
        title: str,
        severity: str | Severity = Severity.SEV3,
        description: str = "",
        components: list[str] | None = None,
        actor: str = "python",
    ) -> Incident:
        level = severity if isinstance(severity, Severity) else Severity.parse(severity)
        return self._run(
            self._container.incidents.create(
                title=title,
                severity=level,
                description=description,
                components=components or [],
                actor=actor,
            )
        )

    def get(self, incident_id: str) -> Incident:
        return self._run(self._container.incidents.get(incident_id=incident_id))

    def acknowledge(self, incident_id: str, responder: str) -> Incident:
        return self._run(
            self._container.incidents.acknowledge(incident_id=incident_id, actor=responder)
        )

    def update_status(
        self, incident_id: str, status: IncidentStatus, note: str = "", actor: str = "python"
    ) -> Incident:
        return self._run(self._container.incidents.update_status(incident_id, status, note, actor))

    def set_root_cause(self, incident_id: str, root_cause: str, actor: str = "python") -> Incident:
        return self._run(self._container.incidents.set_root_cause(incident_id, root_cause, actor))

    def set_resolution(self, incident_id: str, resolution: str, actor: str = "python") -> Incident:
        return self._run(self._container.incidents.set_resolution(incident_id, resolution, actor))

    def close_incident(self, incident_id: str, actor: str = "python") -> Incident:
        return self._run(self._container.incidents.close_incident(incident_id, actor))

    def complete_postmortem(self, incident_id: str, url: str, actor: str = "python") -> Incident:
        return self._run(self._container.incidents.complete_postmortem(incident_id, url, actor))

    def report(self, days: int | None = 30) -> IncidentReport:
        return self._run(self._container.incidents.report(days=days))

    def close(self) -> None:
        self._run(self._container.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()


_manager: IncidentManager | None = None
_lock = threading.Lock()


def get_incident_manager() -> IncidentManager:
    """The process's manager, built once from the environment and ``sre.yaml``."""
    global _manager
    with _lock:
        if _manager is None:
            env = load_environment()
            prepare_database(env)
            _manager = IncidentManager(build_container(env, load_config(env.SRE_CONFIG)))
        return _manager
