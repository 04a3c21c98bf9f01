"""Working off stored notifications: incidents, thread replies, card edits and runbooks.

Runs after the webhook has answered, in the process that stored the notification, and
again at start for whatever a dead process left (a notification is leased while it is
worked, so two processes never work the same one). Every step is keyed, so working a
notification twice does it once: the incident by the group episode's request key, the
notes and the reply by the notification's outbox key, a runbook by its claim row and by
the run already linked to the incident.

This is the ``alerts`` job: a ``bot.work.Worker`` runs its passes. A runbook is only started
here (stored, its first step owed to the ``runs`` job), never driven: a run's checks and
waits never hold up the next notification's incident.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.alerts.intake import ACTOR, TEXT_LIMIT
from bot.clock import Clock
from bot.errors import SreError
from bot.incidents.model import AlertLine, Severity
from bot.incidents.posts import AlertsReply
from bot.incidents.service import IncidentService
from bot.runbooks.service import RunbookService
from bot.runbooks.starters import StartedBy
from storage import alerts as repo
from storage.db import Database

log = logging.getLogger(__name__)

POLL = 5.0
"""Seconds between passes of the alerts worker when nothing kicks it."""
FOLLOWS = "Follows"
"""How a new incident for an alert group names the closed one before it."""
# A thread reply lists this many alerts of each kind; the rest are counted.
REPLY_LINES = 20


class AlertWork:
    """The ``alerts`` job: works off stored notifications in the order they arrived."""

    name = "alerts"

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        incidents: IncidentService,
        runbooks: RunbookService,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        """``lease``: how long a notification being worked is kept from other processes; a
        dead process's work is taken up again after it (``schedule.post_timeout``)."""
        self._db = db
        self._lease = lease
        self._clock = clock
        self._incidents = incidents
        self._runbooks = runbooks

    async def work_due(self) -> int:
        """One pass over the stored notifications, oldest first; returns how many were done."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            due = await repo.due_notifications(session, now=now)
        done = 0
        for notification_id in due:
            try:
                if await self._work(notification_id):
                    done += 1
            except Exception:
                # Kept pending (retried on the next pass); the others go on.
                log.exception("alert notification %s could not be worked", notification_id)
        return done

    async def _work(self, notification_id: int) -> bool:
        now = self._clock.now()
        async with self._db.transaction() as session:
            row = await repo.lease_notification(
                session, notification_id=notification_id, now=now, until=now + self._lease
            )
            if row is None:
                return False
            group = await session.get(repo.AlertGroupRow, row.group_id)
            news, gid = dict(row.news), row.group_id
            incident_id = (
                group.incident_id
                if group is not None and group.episode == news["episode"]
                else None
            )
        try:
            await self._apply(notification_id, gid, news, incident_id)
        except Exception as exc:
            async with self._db.transaction() as session:
                await repo.finish_notification(
                    session, notification_id=notification_id, error=repr(exc)[:500]
                )
            raise
        async with self._db.transaction() as session:
            await repo.finish_notification(session, notification_id=notification_id)
        return True

    async def _apply(
        self, notification_id: int, gid: str, news: dict[str, Any], incident_id: str | None
    ) -> None:
        episode = int(news["episode"])
        key = f"alerts:{notification_id}"
        if incident_id is None:
            if "opening" not in news:
                # Only resolutions for an episode whose incident never opened: nothing to say.
                return
            incident_id = await self._open(gid, episode, news, key)
        else:
            reply = AlertsReply(
                key=key,
                subject=incident_id,
                fired=tuple(_alert(line) for line in news["fired"][:REPLY_LINES]),
                resolved=tuple(_alert(line) for line in news["resolved"][:REPLY_LINES]),
                more=max(len(news["fired"]) - REPLY_LINES, 0)
                + max(len(news["resolved"]) - REPLY_LINES, 0),
                truncated=int(news.get("truncated", 0)),
                clipped=tuple(str(c) for c in news.get("clipped", [])),
            )
            recorded = await self._incidents.record_alert_news(
                incident_id=incident_id,
                key=key,
                note=_note(news, opened=False),
                actor=ACTOR,
                severity=Severity(news["severity"]) if news.get("severity") else None,
                title=news["opening"]["title"] if "opening" in news else None,
                reply=reply,
            )
            if not recorded and "opening" in news and await self._incidents.is_closed(incident_id):
                # A person closed the episode's incident while its alerts still fired, and
                # one fires anew: that is trouble again, not news for a closed incident.
                incident_id = await self._open(gid, episode, news, key, follows=incident_id)
            elif not recorded:
                log.info("alert news %s for %s: already noted or closed", key, incident_id)
        inputs = news["opening"].get("inputs", {}) if "opening" in news else {}
        # A run's page names the alerts that started it: this group's, not every group's
        # that joined the incident.
        fired = tuple(dict.fromkeys(str(line["name"]) for line in news["fired"]))
        await self._start_runbooks(gid, episode, incident_id, inputs, fired=fired)

    async def _open(
        self, gid: str, episode: int, news: dict[str, Any], key: str, *, follows: str | None = None
    ) -> str:
        """The incident for the group's episode: the open one about the same trouble, which
        it joins, or one opened from its opening alert; after one a person closed
        (``follows``), a new one that names it. The group's later alerts go to it."""
        opening = news["opening"]
        description, request_key = opening["description"], f"alertgroup:{gid}:{episode}"
        severity, components = Severity(news["severity"]), opening["components"]
        if follows is None:
            fired = news["fired"]
            incident = (
                await self._incidents.open_or_join(
                    title=opening["title"],
                    severity=severity,
                    actor=ACTOR,
                    source=f"Alert {_short(fired[0]) if fired else opening['title']}",
                    request_key=request_key,
                    description=description,
                    components=components,
                )
            ).incident
        else:
            description = f"{FOLLOWS} {follows}, closed while this alert group still fired.\n"
            incident = await self._incidents.create(
                title=opening["title"],
                severity=severity,
                actor=ACTOR,
                description=description + opening["description"],
                components=components,
                request_key=f"{request_key}:after:{follows}",
            )
        async with self._db.transaction() as session:
            await repo.set_incident(session, group_id=gid, episode=episode, incident_id=incident.id)
        # The card lists the firing alerts; the timeline keeps what was said about them.
        await self._incidents.record_alert_news(
            incident_id=incident.id, key=key, note=_note(news, opened=True), actor=ACTOR
        )
        return incident.id

    async def _start_runbooks(
        self,
        gid: str,
        episode: int,
        incident_id: str,
        inputs: dict[str, Any],
        *,
        fired: tuple[str, ...],
    ) -> None:
        """One run per incident and runbook: the claim row was taken by one delivery; a run
        already linked to the incident (a crash after the start) is recorded, not redone.
        Each is given what it takes of ``inputs`` (an SLO's mode and threshold)."""
        async with self._db.transaction() as session:
            claims = await repo.runbooks_to_start(session, group_id=gid, episode=episode)
            names = [c.runbook for c in claims]
            existing = {n: await repo.run_of(session, incident_id, n) for n in names}
        for name in names:
            run_id, outcome = existing[name], "started"
            if run_id is None:
                try:
                    takes = self._runbooks.definition(name=name).inputs
                    run = await self._runbooks.start(
                        name=name,
                        requester=ACTOR,
                        incident_id=incident_id,
                        inputs={k: v for k, v in inputs.items() if k in takes},
                        started_by=StartedBy.of(ACTOR, alerts=fired),
                    )
                    run_id, outcome = run.id, run.state.value
                except SreError as exc:
                    outcome = exc.message
                    log.info("runbook %s not started for %s: %s", name, incident_id, outcome)
                    await self._incidents.record_alert_news(
                        incident_id=incident_id,
                        key=f"alerts-runbook:{gid}:{episode}:{name}",
                        note=f"Runbook {name} was not started: {outcome}"[:TEXT_LIMIT],
                        actor=ACTOR,
                    )
            async with self._db.transaction() as session:
                await repo.record_runbook(
                    session,
                    group_id=gid,
                    episode=episode,
                    runbook=name,
                    run_id=run_id,
                    outcome=outcome or "started",
                )

    async def firing(self, *, incident_id: str) -> list[AlertLine]:
        """The alerts firing for ``incident_id``, most severe first (for its card)."""
        async with self._db.transaction() as session:
            rows = await repo.firing_of_incident(session, incident_id)
        return [AlertLine(name=r.name, summary=r.summary, severity=r.severity) for r in rows]


def _alert(line: dict[str, Any]) -> AlertLine:
    """One alert as the intake stored it in a notification's news."""
    return AlertLine(
        name=str(line["name"]),
        summary=str(line["summary"]),
        severity=str(line["severity"]),
        where=str(line.get("where") or ""),
    )


def _note(news: dict[str, Any], *, opened: bool) -> str:
    """One timeline entry for what a notification changed."""
    parts = []
    fired, resolved = news["fired"], news["resolved"]
    if fired:
        names = ", ".join(_short(line) for line in fired[:REPLY_LINES])
        more = f" and {len(fired) - REPLY_LINES} more" if len(fired) > REPLY_LINES else ""
        parts.append(f"{'Firing' if opened else 'Also firing'} ({len(fired)}): {names}{more}.")
    if resolved:
        names = ", ".join(_short(line) for line in resolved[:REPLY_LINES])
        more = f" and {len(resolved) - REPLY_LINES} more" if len(resolved) > REPLY_LINES else ""
        parts.append(f"Resolved in Alertmanager ({len(resolved)}): {names}{more}.")
    if news.get("truncated"):
        parts.append(
            f"Alertmanager left {news['truncated']} alerts of this group out of the "
            "notification (truncatedAlerts); see Alertmanager for them."
        )
    if news.get("clipped"):
        parts.append("Clipped to fit: " + "; ".join(news["clipped"]) + ".")
    text = " ".join(parts) or "Alert group updated."
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _short(line: dict[str, Any]) -> str:
    """An alert in a timeline note: its name, where, and what it says (an SLO's alerts all
    share one name; their summaries tell them apart)."""
    where = f" on {line['where']}" if line.get("where") else ""
    said = f" ({line['summary']})" if line.get("summary") else ""
    return f"{line['name']}{where}{said}"[:200]
