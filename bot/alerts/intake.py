"""Turning an Alertmanager notification into incidents, once per alert occurrence.

A firing alert opens an incident keyed by its fingerprint and start time, so Alertmanager's
repeats and retries find the same incident. Its ``runbook`` annotation, when it names a
shipped or team runbook, starts that runbook linked to the incident (in its thread); a
resolved alert adds a timeline note and leaves resolving to a person.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.alerts.model import Alert, AlertNotification
from bot.errors import SreError
from bot.incidents.model import Severity
from bot.incidents.service import IncidentService
from bot.runbooks import RunbookService
from storage.db import Database

log = logging.getLogger(__name__)

ACTOR = "alertmanager"
# Alert ``severity`` label → incident severity, unless the alert names one itself with an
# ``incident_severity`` label (sev1..sev4). The guide pages "critical" for a Qwen failure,
# which its §2.3 calls Sev2, so critical/page map to Sev2 rather than Sev1.
SEVERITY_FROM_LABEL = {
    "critical": Severity.SEV2,
    "page": Severity.SEV2,
    "error": Severity.SEV3,
    "warning": Severity.SEV3,
    "ticket": Severity.SEV3,
    "info": Severity.SEV4,
}


@dataclass
class IntakeResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    runbooks: list[str] = field(default_factory=list)


def severity_of(alert: Alert) -> Severity:
    named = alert.labels.get("incident_severity")
    if named:
        try:
            return Severity.parse(named)
        except SreError:
            log.warning("alert %s names an unknown severity %r", alert.fingerprint, named)
    return SEVERITY_FROM_LABEL.get(alert.labels.get("severity", "").lower(), Severity.SEV3)


class AlertIntake:
    def __init__(
        self, *, db: Database, incidents: IncidentService, runbooks: RunbookService
    ) -> None:
        self._db = db
        self._incidents = incidents
        self._runbooks = runbooks
        self._background: set[asyncio.Task[object]] = set()

    async def receive(self, notification: AlertNotification) -> IntakeResult:
        result = IntakeResult()
        for alert in notification.alerts:
            existing = await self._incident_for(alert)
            if alert.firing:
                if existing is not None:
                    result.existing.append(existing)
                    continue
                incident = await self._incidents.create(
                    title=alert.annotations.get("summary")
                    or alert.labels.get("alertname", "Alert"),
                    severity=severity_of(alert),
                    actor=ACTOR,
                    description=_description(alert),
                    components=[
                        v
                        for k, v in sorted(alert.labels.items())
                        if k in ("job", "model", "service")
                    ],
                    request_key=alert.key,
                )
                result.created.append(incident.id)
                runbook = alert.annotations.get("runbook", "").strip()
                if runbook and self._known(runbook):
                    self._start_runbook(runbook, incident.id)
                    result.runbooks.append(runbook)
            elif existing is not None:
                ended = alert.endsAt.isoformat() if alert.endsAt else "now"
                await self._incidents.add_note(
                    incident_id=existing,
                    text=f"Alert resolved in Alertmanager at {ended}.",
                    actor=ACTOR,
                )
                result.resolved.append(existing)
        return result

    async def _incident_for(self, alert: Alert) -> str | None:
        found = await self._incidents.get_by_request_key(request_key=alert.key)
        return found.id if found is not None else None

    def _known(self, name: str) -> bool:
        return any(d.name == name for d in self._runbooks.list_definitions())

    def _start_runbook(self, name: str, incident_id: str) -> None:
        """Runs take seconds; Alertmanager waits for no one, so the run goes on in the background."""

        async def run() -> object:
            try:
                return await self._runbooks.start(
                    name=name, requester=ACTOR, incident_id=incident_id
                )
            except SreError as exc:
                log.info("runbook %s not started for %s: %s", name, incident_id, exc.message)
                return None

        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for runbooks started in the background (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


def _description(alert: Alert) -> str:
    parts = [alert.annotations.get("description", "")]
    if alert.generatorURL:
        parts.append(f"Source: {alert.generatorURL}")
    parts.append(
        f"Alert {alert.labels.get('alertname', '?')} started {alert.startsAt.isoformat()}."
    )
    return "\n".join(p for p in parts if p)[:3000]
