"""An Alertmanager notification compared with what is known of its group, stored, answered.

Alertmanager sends one notification per ``groupKey`` and re-sends the whole group on every
``group_interval``; retries, HA pairs, failovers and ``repeat_interval`` send it again. So
the group is the unit: it has one incident per *episode* (from its first firing alert
until every alert has resolved), and an alert is known by its fingerprint while it fires
(``startsAt`` differs between Alertmanagers). The comparison happens under the group's
row lock, so concurrent deliveries queue and each learns what it alone changed: only that
part (``news``) is stored, and worked off after the answer (``bot/alerts/work.py``). A
delivery that changes nothing stores nothing and posts nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.alerts.model import Alert, AlertNotification
from bot.clock import Clock
from bot.errors import SreError
from bot.incidents.model import COMPONENT_MAX, TEXT_MAX, Severity
from storage import alerts as repo
from storage.alerts import AlertNotificationRow
from storage.db import Database

log = logging.getLogger(__name__)

ACTOR = "alertmanager"
FIRING, RESOLVED = "firing", "resolved"
NAME_MAX = 200
SUMMARY_MAX = 300
TITLE_MAX = 200
DESCRIPTION_MAX = 1500
TEXT_LIMIT = TEXT_MAX
COMPONENT_LABELS = ("job", "model", "service")


@dataclass
class IntakeAnswer:
    """What this delivery did, as the webhook answers it."""

    notification: int | None = None
    opens_incident: bool = False
    incident: str | None = None
    firing: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    duplicates: int = 0
    runbooks: list[str] = field(default_factory=list)
    truncated: int = 0
    clipped: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class SeverityMap:
    """Alert labels → incident severity: ``incident_severity`` names one, else the
    ``severity`` label through sre.yaml's map, else ``otherwise``."""

    def __init__(self, severities: Mapping[str, Severity], otherwise: Severity) -> None:
        self._map = dict(severities)
        self._otherwise = otherwise

    def of(self, alert: Alert) -> Severity:
        named = alert.labels.get("incident_severity")
        if named:
            try:
                return Severity.parse(named)
            except SreError:
                log.warning("alert %s names an unknown severity", alert.fingerprint)
        return self._map.get(alert.labels.get("severity", "").strip().lower(), self._otherwise)


def group_id(group_key: str) -> str:
    """A fixed-size key for a ``groupKey`` of any length."""
    return hashlib.sha256(group_key.encode()).hexdigest()


def clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Clips:
    """Fields cut to fit, said once each in the incident."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def cut(self, text: str, limit: int, what: str) -> str:
        if len(text) > limit:
            said = f"{what} ({len(text):,} characters, kept {limit:,})"
            if said not in self.said:
                self.said.append(said)
        return clipped(text, limit)


def _line(alert: Alert, severity: Severity, clips: _Clips) -> dict[str, str]:
    name = clips.cut(alert.labels.get("alertname", "alert"), NAME_MAX, "alertname")
    summary = alert.annotations.get("summary") or alert.annotations.get("description", "")
    where = alert.labels.get("instance", "")
    return {
        "fingerprint": alert.fingerprint,
        "name": name,
        "summary": clips.cut(" ".join(summary.split()), SUMMARY_MAX, "summary"),
        "where": clipped(where, NAME_MAX),
        "severity": severity.value,
    }


@dataclass(frozen=True)
class SloFacts:
    """What the intake knows of an SLO from sre.yaml, for the incidents its alerts open."""

    components: tuple[str, ...] = ()
    runbook_inputs: Mapping[str, str | float] = field(default_factory=dict)


def _opening(alert: Alert, clips: _Clips, slos: Mapping[str, SloFacts]) -> dict[str, Any]:
    """Title, description and components of an incident opened for ``alert``: its labels'
    (``COMPONENT_LABELS``), and for an SLO's alert (label ``slo``) what the SLO measures."""
    summary = " ".join((alert.annotations.get("summary") or "").split())
    title = clips.cut(summary or alert.labels.get("alertname", "Alert"), TITLE_MAX, "summary")
    parts = [clips.cut(alert.annotations.get("description", ""), DESCRIPTION_MAX, "description")]
    if alert.generatorURL:
        parts.append(f"Source: {clipped(alert.generatorURL, 500)}")
    parts.append(
        f"Alert {clipped(alert.labels.get('alertname', '?'), NAME_MAX)} "
        f"started {alert.startsAt.isoformat()}."
    )
    slo = slos.get(alert.labels.get("slo", ""), SloFacts())
    components = list(slo.components)
    components += [
        clips.cut(v, COMPONENT_MAX, f"label {k}")
        for k, v in sorted(alert.labels.items())
        if k in COMPONENT_LABELS and v.strip()
    ]
    return {
        "title": title,
        "description": "\n".join(p for p in parts if p),
        "components": components,
        "inputs": dict(slo.runbook_inputs),
    }


class AlertIntake:
    """Compares, stores and answers; ``work`` is told when there is something to do."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        severities: SeverityMap,
        runbook_names: frozenset[str],
        slos: Mapping[str, SloFacts] | None = None,
        owed: Callable[[], None] = lambda: None,
    ) -> None:
        """``slos``: per SLO name (an alert's ``slo`` label), what an incident its alerts
        open is about and what its runbook is given."""
        self._db = db
        self._clock = clock
        self._severities = severities
        self._runbook_names = runbook_names
        self._slos = dict(slos or {})
        self._owed = owed

    async def receive(self, notification: AlertNotification) -> IntakeAnswer:
        """Store what this notification changes (nothing for a duplicate) and say what it was.

        The answer is given after the commit: once Alertmanager hears 2xx, the work is
        in the database and survives a crash.
        """
        answer = IntakeAnswer(truncated=notification.truncatedAlerts)
        clips = _Clips()
        gid = group_id(notification.groupKey)
        now = self._clock.now()
        latest: dict[str, Alert] = {a.fingerprint: a for a in notification.alerts}
        async with self._db.transaction() as session:
            group = await repo.lock_group(
                session, group_id=gid, group_key=notification.groupKey, now=now
            )
            known = await repo.states(session, gid)
            firing_before = any(s.status == FIRING for s in known.values())
            fired: list[tuple[Alert, Severity]] = []
            resolved: list[Alert] = []
            new: list[dict[str, Any]] = []  # inserted at once: 1,000 alerts answer in time
            for alert in latest.values():
                state = known.get(alert.fingerprint)
                if alert.firing and (state is None or state.status != FIRING):
                    fired.append((alert, self._severities.of(alert)))
                elif not alert.firing and state is not None and state.status == FIRING:
                    resolved.append(alert)
                else:
                    answer.duplicates += 1
                    if state is None:  # resolved before we ever saw it fire: remember, ignore
                        new.append(_state(gid, alert, RESOLVED, Severity.SEV4, 0, clips, now))
            opens = bool(fired) and not firing_before
            if opens:
                group.episode += 1
                group.incident_id = None
            truncated_news = (
                notification.truncatedAlerts
                if notification.truncatedAlerts and notification.truncatedAlerts != group.truncated
                else 0
            )
            group.truncated = notification.truncatedAlerts
            group.updated_at = now
            if not fired and not resolved and not truncated_news:
                await repo.add_states(session, new)
                return answer
            for alert, severity in fired:
                row = known.get(alert.fingerprint)
                if row is None:
                    new.append(_state(gid, alert, FIRING, severity, group.episode, clips, now))
                else:
                    row.status, row.episode, row.severity = FIRING, group.episode, severity.value
                    row.updated_at = now
            await repo.add_states(session, new)
            for alert in resolved:
                state = known[alert.fingerprint]
                state.status, state.updated_at = RESOLVED, now
            for alert, _ in fired:
                name = alert.annotations.get("runbook", "").strip()
                if (
                    name in self._runbook_names
                    and name not in answer.runbooks
                    and await repo.claim_runbook(
                        session, group_id=gid, episode=group.episode, runbook=name
                    )
                ):
                    answer.runbooks.append(name)
            news = self._news(fired, resolved, clips, episode=group.episode, opens=opens)
            news |= {"truncated": truncated_news, "runbooks": answer.runbooks}
            stored = AlertNotificationRow(group_id=gid, received_at=now, news=news)
            session.add(stored)
            await session.flush()
            answer.notification = stored.id
            answer.opens_incident = opens
            answer.incident = None if opens else group.incident_id
            answer.firing = [a.fingerprint for a, _ in fired]
            answer.resolved = [a.fingerprint for a in resolved]
            answer.clipped = clips.said
        self._owed()
        return answer

    def _news(
        self,
        fired: list[tuple[Alert, Severity]],
        resolved: list[Alert],
        clips: _Clips,
        *,
        episode: int,
        opens: bool,
    ) -> dict[str, Any]:
        news: dict[str, Any] = {
            "episode": episode,
            "opens": opens,
            "fired": [_line(a, s, clips) for a, s in fired],
            "resolved": [
                _line(a, self._severities.of(a), clips)
                | {"ended": a.endsAt.isoformat() if a.endsAt else ""}
                for a in resolved
            ],
        }
        if fired:
            first, severity = min(fired, key=lambda pair: pair[1].value)
            news["severity"] = severity.value
            news["opening"] = _opening(first, clips, self._slos)
        news["clipped"] = clips.said
        return news


def _state(
    gid: str,
    alert: Alert,
    status: str,
    severity: Severity,
    episode: int,
    clips: _Clips,
    now: datetime,
) -> dict[str, Any]:
    line = _line(alert, severity, clips)
    return {
        "group_id": gid,
        "fingerprint": alert.fingerprint,
        "episode": episode,
        "status": status,
        "name": line["name"],
        "summary": line["summary"],
        "severity": severity.value,
        "updated_at": now,
    }
