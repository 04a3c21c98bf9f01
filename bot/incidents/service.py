"""Incident operations: every change is one conditional update plus its timeline entry.

Each operation commits before anyone is told (the card, the person), so a retry or a
restart finds the change; Slack is only ever a view of what the database says.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.errors import (
    HINT,
    AlreadyAcknowledged,
    Hint,
    InvalidInput,
    TransitionForbidden,
    UnknownIncident,
)
from bot.ids import next_free_id
from bot.incidents.joining import JoinRules, incident_to_join
from bot.incidents.model import (
    ACTIVE,
    EDITABLE,
    STATUS_EVENTS,
    TEXT_MAX,
    Incident,
    IncidentEvent,
    IncidentStatus,
    Severity,
    TimelineEntry,
    next_status,
    validate_components,
    validate_incident_id,
    validate_text,
    validate_title,
)
from bot.incidents.postmortem import postmortem_draft
from bot.incidents.posts import (
    AlertsReply,
    ChaseOutcome,
    Escalation,
    IncidentCard,
    IncidentCardLate,
    IncidentCardUpdate,
    IncidentCreatedReply,
    IncidentNews,
    PostmortemDraft,
    bare,
    card_key,
    card_late_key,
    chase_outcome_key,
)
from bot.incidents.report import IncidentReport, build_report
from bot.incidents.rows import incident_from_row
from bot.outbox import MessageRef, OwedPost, Post, PostKind
from bot.outbox.owing import owe, owe_again, owe_one, read_owed, read_row, record
from storage import audit, outbox
from storage import incidents as repo
from storage.db import Database, Executor
from storage.incidents import IncidentRow

log = logging.getLogger(__name__)

_URL = re.compile(r"^https?://[^\s<>|]+$")
_MAX_ATTEMPTS = 200


class IncidentObserver(Protocol):
    """Told after a change commits (metrics, schedulers); must not raise."""

    def incident_acknowledged(self, incident: Incident) -> None: ...


@dataclass
class _Change:
    values: dict[str, Any]
    entries: list[tuple[str, str]] = field(default_factory=list)


class _StaleRead(Exception):
    """Another writer changed the incident between our read and our update."""


class _ReminderInFlight(Exception):
    """A reminder about this incident is being sent right now."""


# How long an acknowledgement waits for a reminder being sent before going ahead (a dead
# deliverer must not block acks: its lease runs out).
COUNT_TIMEOUT = 1.0
"""Seconds /metrics waits for the incident counts before it answers without them."""
RESOLVED_ON_CLOSE = "resolved on close: its resolution was already recorded"
CHASE_KINDS = (PostKind.INCIDENT_REMINDER.value, PostKind.INCIDENT_ESCALATION.value)
IN_FLIGHT_PATIENCE = 10.0


async def _owe_card_update(session: AsyncSession, incident_id: str, now: datetime) -> None:
    """The card shows the change: one edit owed per incident, newer changes coalesce; it
    carries the incident as the change left it (read in the change's transaction), with
    its newest timeline entry."""
    row = await repo.get(session, incident_id)
    if row is None:
        return
    # With its newest timeline entry only: the card shows the latest note or change.
    latest = await repo.latest_entry(session, incident_id)
    update = IncidentCardUpdate(
        key=f"card-update:{incident_id}",
        subject=incident_id,
        thread_key=card_key(incident_id),
        incident=incident_from_row(row, [latest] if latest else []),
    )
    await owe_again(session, update, at=now)


@dataclass(frozen=True)
class Opening:
    """What a signal's ``open_or_join`` came to: the incident, and whether it was joined
    (an open one about the same trouble) rather than opened."""

    incident: Incident
    joined: bool


OPENINGS = "incident-openings"
"""Signals decide "join or open" one at a time (``Database.one_at_a_time``)."""


@dataclass(frozen=True)
class ReplyTo:
    """Who asked for a change and where to answer them (``response_url`` while valid)."""

    user: str
    channel: str | None = None
    response_url: str | None = None


async def _severity_raised(
    session: AsyncSession,
    row: IncidentRow,
    severity: Severity | None,
    *,
    title: str | None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """The columns a more severe signal changes, its timeline entry written; none when
    ``severity`` is not higher than the incident's."""
    current = Severity(row.severity)
    if severity is None or severity.value >= current.value:
        return {}
    values: dict[str, Any] = {"severity": severity.value}
    note = f"{current.label} → {severity.label}"
    # Opened by alerts, the title is theirs: the more severe alert's says it now
    # ("… burning fast (page)", not the ticket's "… burning slowly (ticket)").
    if title and row.created_by == actor and title != row.title:
        values["title"] = validate_title(title)
        note += f"; title: {values['title']}"
    await repo.add_timeline(
        session, incident_id=row.id, at=now, actor=actor, action="severity changed", note=note
    )
    return values


class IncidentService:
    """The incident manager (async); ``manager.py`` wraps it for scripts."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        channel: str | None = None,
        observers: Sequence[IncidentObserver] = (),
        owed: Callable[[], None] = lambda: None,
        joins: JoinRules | None = None,
    ) -> None:
        """``channel`` is where cards go (``channels.incidents``); ``owed`` is told after a
        change that owes Slack a post has committed (the outbox's ``kick``); ``joins`` says
        when a new signal joins an open incident (sre.yaml ``incidents.join``)."""
        self._db = db
        self._clock = clock
        self._channel = channel
        self._observers = list(observers)
        self._owed = owed
        self._joins = joins or JoinRules()

    @property
    def channel(self) -> str | None:
        """Where incident cards go."""
        return self._channel

    def owed(self) -> None:
        """Tell the outbox that something about incidents is owed (after a commit)."""
        self._owed()

    # ---- reads -------------------------------------------------------------------------

    async def get(self, *, incident_id: str, timeline: bool = True) -> Incident:
        """The incident; with ``timeline=False`` its timeline is left empty (a card, an
        answer), one read instead of two."""
        incident_id = validate_incident_id(incident_id)
        if not timeline:
            async with self._db.autocommit() as session:
                row = await repo.get(session, incident_id)
            if row is None:
                raise UnknownIncident(incident_id)
            return incident_from_row(row)
        async with self._db.transaction() as session:
            row = await repo.get(session, incident_id)
            if row is None:
                raise UnknownIncident(incident_id)
            return incident_from_row(row, await repo.timeline(session, incident_id))

    async def get_by_request_key(self, *, request_key: str) -> Incident | None:
        """The incident first filed under ``request_key`` (a retried request, an alert)."""
        async with self._db.autocommit() as session:
            row = await repo.get_by_request_key(session, request_key)
            return incident_from_row(row) if row is not None else None

    async def list_incidents(
        self,
        *,
        active_only: bool = True,
        channel_id: str | None = None,
        since: datetime | None = None,
        limit: int | None = 50,
    ) -> list[Incident]:
        statuses = [s.value for s in ACTIVE] if active_only else None
        async with self._db.transaction() as session:
            rows = await repo.list_rows(
                session, statuses=statuses, channel_id=channel_id, since=since, limit=limit
            )
            return [incident_from_row(row) for row in rows]

    async def joinable(self, *, components: Sequence[str]) -> Incident | None:
        """The open incident a new signal about ``components`` joins instead of opening
        another (``bot/incidents/joining.py``), or None."""
        if self._joins.within is None:
            return None
        now = self._clock.now()
        recent = await self.list_incidents(since=now - self._joins.within, limit=None)
        return incident_to_join(recent, components=components, rules=self._joins, now=now)

    async def postmortems_due(self) -> list[Incident]:
        """Resolved Sev1/Sev2 incidents still waiting for their postmortem."""
        async with self._db.transaction() as session:
            rows = await repo.list_rows(session, statuses=[IncidentStatus.RESOLVED.value])
        return [i for i in map(incident_from_row, rows) if i.postmortem_pending]

    async def list_with_timelines(self, *, since: datetime | None = None) -> list[Incident]:
        async with self._db.transaction() as session:
            rows = await repo.list_rows(session, since=since)
            return [incident_from_row(row, await repo.timeline(session, row.id)) for row in rows]

    async def count_by_status(self) -> dict[str, int]:
        """For /metrics, which a scrape waits for: one second, then DatabaseTimeout."""
        async with self._db.transaction(within=COUNT_TIMEOUT) as session:
            return await repo.count_by_status(session)

    async def report(self, *, days: int | None = 30) -> IncidentReport:
        now = self._clock.now()
        since = now - timedelta(days=days) if days else None
        async with self._db.transaction() as session:
            rows = await repo.list_rows(session, since=since)
        return build_report([incident_from_row(r) for r in rows], since=since, until=now)

    # ---- create ------------------------------------------------------------------------

    async def create(
        self,
        *,
        title: str,
        severity: Severity,
        actor: str,
        description: str = "",
        components: Sequence[str] = (),
        request_key: str | None = None,
        reply_to: ReplyTo | None = None,
    ) -> Incident:
        """Open an incident. A repeated ``request_key`` returns the first one instead.

        Its card, and the answer to ``reply_to``, are owed in the same transaction: a
        crash after the commit still gets both out, exactly once.
        """
        title = validate_title(title)
        description = validate_text(description, what="description", required=False)
        parts = validate_components(list(components))
        incident = await self._insert(
            title=title,
            severity=severity,
            actor=actor,
            description=description,
            components=parts,
            request_key=request_key,
            reply_to=reply_to,
        )
        self._owed()
        if isinstance(incident, str):  # filed before under this request_key
            return await self.get(incident_id=incident)
        return incident

    async def _insert(
        self,
        *,
        title: str,
        severity: Severity,
        actor: str,
        description: str,
        components: list[str],
        request_key: str | None,
        reply_to: ReplyTo | None,
    ) -> Incident | str:
        """The incident as stored, or the ID of the one filed before under ``request_key``."""
        # IDs are INC-YYYYMMDD-HHMMSS (UTC); the n-th incident of one second gets "-n".
        # Two writers may pick the same suffix; the primary key refuses the second,
        # which then looks again. SQLite never gets there: BEGIN IMMEDIATE queues writers.
        for _ in range(_MAX_ATTEMPTS):
            now = self._clock.now()
            base_id = now.strftime("INC-%Y%m%d-%H%M%S")
            try:
                # Core statements on a bare connection: this runs for every request.
                async with self._db.connection() as connection:
                    incident_id = next_free_id(
                        base_id, await repo.ids_with_prefix(connection, base_id)
                    )
                    row = IncidentRow(
                        id=incident_id,
                        title=title,
                        description=description,
                        severity=severity.value,
                        status=IncidentStatus.OPEN.value,
                        components=components,
                        created_at=now,
                        created_by=actor,
                        request_key=request_key,
                        updated_at=now,
                    )
                    if not await repo.insert(connection, row):
                        # Filed before under this request_key (a retried request, a second
                        # Alertmanager): the conflict is on a committed row, which we can read.
                        existing = await repo.filed_under(connection, str(request_key))
                        if existing is not None:
                            return existing
                        continue
                    created = TimelineEntry(
                        at=now, actor=actor, action="created", note=f"{severity.label}: {title}"
                    )
                    await repo.add_timeline(
                        connection,
                        incident_id=incident_id,
                        at=created.at,
                        actor=created.actor,
                        action=created.action,
                        note=created.note,
                    )
                    await audit.add_audit(
                        connection,
                        at=now,
                        actor=actor,
                        action="incident.create",
                        subject=incident_id,
                        detail={"severity": severity.value, "request_key": request_key},
                    )
                    # What was just stored: the caller and the card need no read to show it.
                    incident = replace(incident_from_row(row), timeline=[created])
                    await self._owe_card(connection, incident, reply_to)
                return incident
            except IntegrityError:
                continue
        raise RuntimeError("could not allocate an incident ID after many attempts")

    # ---- changes -----------------------------------------------------------------------

    async def acknowledge(self, *, incident_id: str, actor: str) -> Incident:
        def decide(incident: Incident, now: datetime) -> _Change:
            if incident.status is IncidentStatus.OPEN:
                return _Change(
                    values={
                        "status": IncidentStatus.ACKNOWLEDGED.value,
                        "acknowledged_by": actor,
                        "acknowledged_at": now,
                    },
                    entries=[("acknowledged", "")],
                )
            if incident.acknowledged_by is not None and incident.acknowledged_at is not None:
                raise AlreadyAcknowledged(
                    incident_id=incident.id,
                    by=incident.acknowledged_by,
                    at=incident.acknowledged_at,
                )
            raise TransitionForbidden(
                f"{incident.id} is {incident.status.value}: nothing to acknowledge."
            )

        incident = await self._apply(
            incident_id=incident_id, actor=actor, decide=decide, action="acknowledge"
        )
        for observer in self._observers:
            observer.incident_acknowledged(incident)
        return incident

    async def update_status(
        self, incident_id: str, status: IncidentStatus, note: str = "", actor: str = "unknown"
    ) -> Incident:
        """Move the incident along its lifecycle (the guide's positional order works too)."""
        note = validate_text(note, what="note", required=False)
        if status is IncidentStatus.OPEN:
            raise TransitionForbidden("An incident cannot be set back to open.")
        if status is IncidentStatus.ACKNOWLEDGED:
            return await self.acknowledge(incident_id=incident_id, actor=actor)
        if status is IncidentStatus.CLOSED:
            return await self.close_incident(incident_id, actor)

        def decide(incident: Incident, now: datetime) -> _Change:
            event = STATUS_EVENTS[status]
            if (
                incident.status is IncidentStatus.RESOLVED
                and status is IncidentStatus.INVESTIGATING
            ):
                event = IncidentEvent.REOPEN
            target = next_status(incident.status, event, incident_id=incident.id)
            change = _Change(values={"status": target.value})
            if incident.status is IncidentStatus.OPEN:
                # Whoever moves an open incident owns it: that is its acknowledgement.
                change.values |= {"acknowledged_by": actor, "acknowledged_at": now}
                change.entries.append(("acknowledged", ""))
            if target is IncidentStatus.MITIGATED:
                change.values["mitigated_at"] = now
            if target is IncidentStatus.RESOLVED:
                resolution = note or incident.resolution
                if not resolution:
                    raise InvalidInput(
                        f"Say what resolved {incident.id}: `{HINT}`.",
                        hint=Hint("incident", "resolve", (incident.id, "<what fixed it>")),
                    )
                change.values |= {"resolved_at": now, "resolution": resolution}
            if event is IncidentEvent.REOPEN:
                change.values["resolved_at"] = None
            change.entries.append((f"status → {target.value}", note))
            return change

        return await self._apply(
            incident_id=incident_id, actor=actor, decide=decide, action="status"
        )

    async def resolve(self, *, incident_id: str, resolution: str, actor: str) -> Incident:
        resolution = validate_text(resolution, what="resolution")
        return await self.update_status(incident_id, IncidentStatus.RESOLVED, resolution, actor)

    async def close_incident(self, incident_id: str, actor: str) -> Incident:
        """Close a resolved incident. One still active whose resolution is already set (the
        guide's order: root cause, resolution, close) is resolved on the way, in its own
        step, so a Sev1/Sev2 refused for its missing postmortem stays resolved."""
        incident = await self.get(incident_id=incident_id)
        if incident.status in ACTIVE and incident.resolution:

            def resolve(incident: Incident, now: datetime) -> _Change:
                target = next_status(
                    incident.status, IncidentEvent.RESOLVE, incident_id=incident.id
                )
                change = _Change(values={"status": target.value, "resolved_at": now})
                if incident.status is IncidentStatus.OPEN:
                    change.values |= {"acknowledged_by": actor, "acknowledged_at": now}
                    change.entries.append(("acknowledged", ""))
                change.entries.append((f"status → {target.value}", RESOLVED_ON_CLOSE))
                return change

            await self._apply(incident_id=incident_id, actor=actor, decide=resolve, action="status")

        def decide(incident: Incident, now: datetime) -> _Change:
            target = next_status(incident.status, IncidentEvent.CLOSE, incident_id=incident.id)
            if incident.severity.needs_postmortem and not incident.postmortem_url:
                raise TransitionForbidden(
                    f"{incident.id} is {incident.severity.label}: record its postmortem before "
                    f"closing it (`{HINT}`; without a URL I post a draft to start from).",
                    hint=Hint("incident", "postmortem", (incident.id, "<url>")),
                )
            return _Change(
                values={"status": target.value, "closed_at": now}, entries=[("closed", "")]
            )

        return await self._apply(
            incident_id=incident_id, actor=actor, decide=decide, action="close"
        )

    async def set_severity(self, *, incident_id: str, severity: Severity, actor: str) -> Incident:
        def decide(incident: Incident, now: datetime) -> _Change:
            self.require_editable(incident)
            if incident.severity is severity:
                raise InvalidInput(f"{incident.id} is already {severity.label}.")
            note = f"{incident.severity.label} → {severity.label}"
            return _Change(
                values={"severity": severity.value}, entries=[("severity changed", note)]
            )

        return await self._apply(
            incident_id=incident_id, actor=actor, decide=decide, action="severity"
        )

    async def add_note(
        self, *, incident_id: str, text: str, actor: str, request_key: str | None = None
    ) -> Incident:
        """A note on the timeline; a repeated ``request_key`` (the request run again after a
        crash) finds its note and writes nothing."""
        text = validate_text(text, what="note")

        def decide(incident: Incident, now: datetime) -> _Change:
            self.require_editable(incident)
            return _Change(values={}, entries=[("note", text)])

        return await self._apply(
            incident_id=incident_id,
            actor=actor,
            decide=decide,
            action="note",
            request_key=request_key,
        )

    async def set_root_cause(self, incident_id: str, root_cause: str, actor: str) -> Incident:
        root_cause = validate_text(root_cause, what="root cause")

        def decide(incident: Incident, now: datetime) -> _Change:
            self.require_editable(incident)
            return _Change(values={"root_cause": root_cause}, entries=[("root cause", root_cause)])

        return await self._apply(
            incident_id=incident_id, actor=actor, decide=decide, action="root_cause"
        )

    async def set_resolution(self, incident_id: str, resolution: str, actor: str) -> Incident:
        resolution = validate_text(resolution, what="resolution")

        def decide(incident: Incident, now: datetime) -> _Change:
            self.require_editable(incident)
            return _Change(values={"resolution": resolution}, entries=[("resolution", resolution)])

        return await self._apply(
            incident_id=incident_id, actor=actor, decide=decide, action="resolution"
        )

    async def complete_postmortem(
        self, incident_id: str, url: str, actor: str = "unknown"
    ) -> Incident:
        url = url.strip().strip("<>")
        if not _URL.match(url) or len(url) > 2000:
            raise InvalidInput(f"{url!r} is not a link to a postmortem: give an http(s) URL.")

        def decide(incident: Incident, now: datetime) -> _Change:
            if incident.status in ACTIVE:
                raise TransitionForbidden(
                    f"{incident.id} is still {incident.status.value}: resolve it before "
                    "recording its postmortem."
                )
            return _Change(values={"postmortem_url": url}, entries=[("postmortem", url)])

        return await self._apply(
            incident_id=incident_id, actor=actor, decide=decide, action="postmortem"
        )

    async def post_postmortem_draft(self, *, incident_id: str, actor: str) -> str:
        """Post a draft built from the timeline in the incident's thread; returns the draft."""
        incident = await self.get(incident_id=incident_id)
        draft = postmortem_draft(incident)
        now = self._clock.now()
        async with self._db.transaction() as session:
            draft_post = PostmortemDraft(
                key=f"postmortem-draft:{incident.id}:{now.isoformat()}:{actor}",
                subject=incident.id,
                channel=self._channel,
                thread_key=card_key(incident.id),
                incident=incident,
            )
            await owe(session, draft_post, at=now)
            await audit.add_audit(
                session, at=now, actor=actor, action="postmortem.draft", subject=incident.id
            )
        self._owed()
        return draft

    async def is_closed(self, incident_id: str) -> bool:
        """Whether ``incident_id`` is closed: it can no longer change."""
        return (await self.get(incident_id=incident_id, timeline=False)).status not in EDITABLE

    async def open_or_join(
        self,
        *,
        title: str,
        severity: Severity,
        actor: str,
        source: str,
        request_key: str,
        description: str = "",
        components: Sequence[str] = (),
    ) -> Opening:
        """A signal's incident (an alert group's episode, a runbook's incident step): the
        one filed before under ``request_key`` (a retry), else the open incident about the
        same trouble, joined (``join``, its reply naming ``source``), else a new one.

        Signals decide one at a time across processes, so two about the same trouble that
        arrive together open one incident, not two.
        """
        async with self._db.one_at_a_time(OPENINGS):
            filed = await self.get_by_request_key(request_key=request_key)
            if filed is not None:
                return Opening(filed, joined=False)
            ongoing = await self.joinable(components=components)
            if ongoing is not None:
                joined = await self.join(
                    incident_id=ongoing.id,
                    key=f"join:{request_key}",
                    actor=actor,
                    source=source,
                    severity=severity,
                    components=components,
                )
                if joined is not None:
                    return Opening(joined, joined=True)
            incident = await self.create(
                title=title,
                severity=severity,
                actor=actor,
                description=description,
                components=components,
                request_key=request_key,
            )
            return Opening(incident, joined=False)

    async def join(
        self,
        *,
        incident_id: str,
        key: str,
        actor: str,
        source: str,
        severity: Severity,
        components: Sequence[str],
    ) -> Incident | None:
        """A new signal about the same trouble joins the incident, once per ``key``: a
        timeline entry and a reply in its thread naming ``source``, its severity raised when
        the signal's is higher, the signal's components added; no reminder is owed. The
        incident as it is then; None when it can no longer change (closed), so the caller
        opens one instead."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            row = await repo.get_for_update(session, incident_id)
            if row is None:
                raise UnknownIncident(incident_id)
            if IncidentStatus(row.status) not in EDITABLE:
                return None
            note = f"{source} ({severity.label})"
            told = await self.tell(
                session, incident_id=incident_id, key=key, actor=actor, action="joined", note=note
            )
            if told:
                values = await _severity_raised(
                    session, row, severity, title=None, actor=actor, now=now
                )
                known = {c.casefold() for c in row.components}
                added = [
                    c for c in validate_components(list(components)) if c.casefold() not in known
                ]
                if added:
                    values["components"] = [*row.components, *added]
                if values:
                    await repo.update_if_version(
                        session, incident_id, row.version, values | {"updated_at": now}
                    )
            row = await repo.get(session, incident_id)
            assert row is not None
            joined = incident_from_row(row)
        self._owed()
        return joined

    async def record_alert_news(
        self,
        *,
        incident_id: str,
        key: str,
        note: str,
        actor: str,
        severity: Severity | None = None,
        title: str | None = None,
        reply: AlertsReply | None = None,
    ) -> bool:
        """Note what one alert notification changed, once per ``key``: a timeline entry, the
        severity raised when an alert asks for a higher one (with ``title``, the raising
        alert's, when the incident still has the one its alerts gave it), and ``reply`` (one
        batched message in the card's thread) owed in the same transaction. False when
        ``key`` was recorded already, or the incident can no longer change (closed): then
        nothing is."""
        note = validate_text(note, what="note")
        async with self._db.transaction() as session:
            row = await repo.get_for_update(session, incident_id)
            if row is None:
                raise UnknownIncident(incident_id)
            if IncidentStatus(row.status) not in EDITABLE:
                return False
            now = self._clock.now()
            news = replace(
                reply or AlertsReply(key=key, subject=incident_id),
                key=key,
                subject=incident_id,
                channel=self._channel,
                thread_key=card_key(incident_id),
            )
            # Nothing to post (the card says it): only the decision is kept, under its key.
            if reply is None:
                owed = await record(session, news, at=now)
            else:
                owed = await owe_one(session, news, at=now)
            if not owed:
                return False
            await repo.add_timeline(
                session, incident_id=incident_id, at=now, actor=actor, action="alerts", note=note
            )
            values = await _severity_raised(
                session, row, severity, title=title, actor=actor, now=now
            )
            if values:
                await repo.update_if_version(
                    session, incident_id, row.version, values | {"updated_at": now}
                )
            await _owe_card_update(session, incident_id, now)
        self._owed()
        return True

    async def tell(
        self,
        session: AsyncSession,
        *,
        incident_id: str,
        key: str,
        actor: str,
        action: str,
        note: str,
    ) -> bool:
        """Add what happened to the incident from outside it (a run linked to it started or
        ended, its model recovered) in the caller's transaction: a timeline entry, a reply in
        the card's thread and the card brought up to date, once per ``key`` (a retried step
        writes nothing). False when ``key`` was told already, or the incident is closed."""
        row = await repo.get_for_update(session, incident_id)
        if row is None or IncidentStatus(row.status) not in EDITABLE:
            return False
        if await repo.wrote(session, key):
            return False
        now = self._clock.now()
        note = note.strip()[:TEXT_MAX]
        await repo.add_timeline(
            session,
            incident_id=incident_id,
            at=now,
            actor=actor,
            action=action,
            note=note,
            request_key=key,
        )
        news = IncidentNews(
            key=f"news:{incident_id}:{key}",
            subject=incident_id,
            channel=self._channel,
            thread_key=card_key(incident_id),
            action=action,
            note=note,
            actor=actor,
        )
        await owe_one(session, news, at=now)
        await _owe_card_update(session, incident_id, now)
        return True

    # ---- machinery ---------------------------------------------------------------------

    @staticmethod
    def require_resolvable(incident: Incident) -> None:
        if incident.status not in ACTIVE:
            raise TransitionForbidden(
                f"{incident.id} is already {incident.status.value}: nothing to resolve."
            )

    @staticmethod
    def require_editable(incident: Incident) -> None:
        if incident.status not in EDITABLE:
            raise TransitionForbidden(
                f"{incident.id} is {incident.status.value}: it can no longer change."
            )

    async def _apply(
        self,
        *,
        incident_id: str,
        actor: str,
        decide: Callable[[Incident, datetime], _Change],
        action: str,
        request_key: str | None = None,
    ) -> Incident:
        incident_id = validate_incident_id(incident_id)
        loop = asyncio.get_running_loop()
        patience = loop.time() + IN_FLIGHT_PATIENCE
        for _ in range(_MAX_ATTEMPTS):
            try:
                async with self._db.transaction() as session:
                    row = await repo.get(session, incident_id)
                    if row is None:
                        raise UnknownIncident(incident_id)
                    if request_key is not None and await repo.wrote(session, request_key):
                        return incident_from_row(row)  # done by this request's first run
                    now = self._clock.now()
                    change = decide(incident_from_row(row), now)
                    values = change.values | {"updated_at": now}
                    was_open = row.status == IncidentStatus.OPEN.value
                    if not await repo.update_if_version(session, incident_id, row.version, values):
                        raise _StaleRead
                    if was_open and "status" in change.values:
                        # The update wrote through to ``row``: it is the incident as it left open.
                        await self._stop_chasing(
                            session, incident_from_row(row), now, loop.time() < patience
                        )
                    for n, (what, note) in enumerate(change.entries):
                        await repo.add_timeline(
                            session,
                            incident_id=incident_id,
                            at=now,
                            actor=actor,
                            action=what,
                            note=note,
                            request_key=request_key if n == 0 else None,
                        )
                    await audit.add_audit(
                        session,
                        at=now,
                        actor=actor,
                        action=f"incident.{action}",
                        subject=incident_id,
                        detail={k: _jsonable(v) for k, v in change.values.items()},
                    )
                    await _owe_card_update(session, incident_id, now)
            except _StaleRead:
                continue
            except _ReminderInFlight:
                # A reminder leased before us is being sent: let it land first, so the
                # thread never shows a reminder after the acknowledgement.
                await asyncio.sleep(0.05)
                continue
            self._owed()
            return await self.get(incident_id=incident_id)
        raise RuntimeError(f"{incident_id} kept changing under us; try again")

    async def _stop_chasing(
        self, session: AsyncSession, incident: Incident, now: datetime, patient: bool
    ) -> None:
        """The incident leaves ``open``: owed reminders are dropped, one being sent is waited
        for, and those already out trade their Acknowledge for who took it. Checked after
        our update holds the row, so a deliverer leasing a reminder (under the same row)
        either committed before us, and we see it, or sees our change.
        """
        if patient and await outbox.in_flight(
            session, subject=incident.id, kinds=CHASE_KINDS, now=now
        ):
            raise _ReminderInFlight
        await outbox.drop_pending(session, subject=incident.id, kinds=CHASE_KINDS, now=now)
        outcomes: list[Post] = []
        for row in await outbox.sent(session, subject=incident.id, kinds=CHASE_KINDS):
            level = None
            if row.kind == PostKind.INCIDENT_ESCALATION.value:
                level = read_row(Escalation, row).level
            outcomes.append(
                ChaseOutcome(
                    key=chase_outcome_key(row.key),
                    subject=incident.id,
                    thread_key=row.key,
                    incident=bare(incident),
                    level=level,
                )
            )
        await owe(session, *outcomes, at=now)

    async def _owe_card(
        self, connection: Executor, incident: Incident, reply_to: ReplyTo | None
    ) -> None:
        # Both carry the incident as declared: the card and the answer are rendered from
        # it, with nothing read back; a change after the create owes an edit, sent after.
        posts: list[Post] = [
            IncidentCard(
                key=card_key(incident.id),
                subject=incident.id,
                channel=self._channel,
                incident=incident,
            )
        ]
        if reply_to is not None:
            posts.append(
                IncidentCreatedReply(
                    key=f"reply:{incident.id}:created",
                    subject=incident.id,
                    channel=reply_to.channel,
                    # After the card: the answer can point at it, and never races ahead of it.
                    thread_key=card_key(incident.id),
                    incident=incident,
                    user=reply_to.user,
                    response_url=reply_to.response_url,
                )
            )
        await owe(connection, *posts, at=incident.created_at)

    async def card_posted(self, on: Executor, post: OwedPost, ref: MessageRef) -> None:
        """The outbox sent the card: remember where, for updates, threads and ``/incident ack``."""
        await repo.set_card(on, post.subject, channel_id=ref.channel_id, ts=ref.ts)
        if ref.refused is not None:
            # It went to a fallback: the channel that refused it is owed a pointer to it,
            # retried slowly until someone invites the bot or unarchives the channel.
            card = read_owed(IncidentCard, post)
            late = IncidentCardLate(
                key=card_late_key(post.subject),
                subject=post.subject,
                channel=ref.refused.channel,
                incident=bare(card.incident),
                reason=ref.refused.reason,
                moved_to=ref.channel_id,
            )
            await owe_one(on, late, at=self._clock.now())


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
