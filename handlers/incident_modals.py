"""The incident modals: declare (``/incident create`` with no arguments), update status,
resolve. Each is read before it closes and acted on after (``handlers/listeners.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.errors import SreError
from bot.incidents.model import (
    IncidentStatus,
    Severity,
    validate_components,
    validate_text,
    validate_title,
)
from bot.incidents.service import IncidentService, ReplyTo
from bot.slack_ids import CHANNEL_ID
from handlers.blocks.incident import IncidentView
from handlers.errors import InvalidFields
from handlers.incidents import STATUS_WORDS
from handlers.listeners import Listeners, Modal
from handlers.payloads import ViewSubmission

T = TypeVar("T")


@dataclass(frozen=True)
class Declaration:
    title: str
    severity: Severity
    components: list[str]
    description: str


@dataclass(frozen=True)
class StatusChange:
    status: IncidentStatus
    note: str


class _Fields:
    """Reads a submission's fields, gathering every field's error before refusing."""

    def __init__(self, submission: ViewSubmission) -> None:
        self._submission = submission
        self.errors: dict[str, str] = {}

    def read(self, block_id: str, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(self._submission.value(block_id))
        except SreError as error:
            self.errors[block_id] = error.message
            return None

    def refuse(self, block_id: str, text: str) -> None:
        self.errors[block_id] = text

    def check(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)


def read_declaration(submission: ViewSubmission) -> Declaration:
    fields = _Fields(submission)
    title = fields.read("title", validate_title)
    severity = fields.read("severity", lambda v: Severity.parse(v or "sev3"))
    components = fields.read("components", lambda v: validate_components(v.split(",")))
    description = fields.read(
        "description", lambda v: validate_text(v, what="description", required=False)
    )
    fields.check()
    assert title is not None and severity is not None and components is not None
    return Declaration(title, severity, components, description or "")


def read_status_change(submission: ViewSubmission) -> StatusChange:
    fields = _Fields(submission)
    status = STATUS_WORDS.get(submission.value("status"))
    note = submission.value("note")
    if status is None:
        fields.refuse("status", "Choose a status.")
    elif status is IncidentStatus.RESOLVED and not note.strip():
        fields.refuse("note", "Say what resolved it.")
    fields.check()
    assert status is not None
    return StatusChange(status, note)


def read_resolution(submission: ViewSubmission) -> str:
    fields = _Fields(submission)
    resolution = fields.read("resolution", lambda v: validate_text(v, what="resolution"))
    fields.check()
    return resolution or ""


def _origin(submission: ViewSubmission) -> str | None:
    """``/incident create`` keeps the channel it was typed in as the modal's metadata; any
    other value (None) sends the answer as a direct message instead of to no channel."""
    channel = submission.view.private_metadata
    return channel if CHANNEL_ID.match(channel) else None


def register_incident_modals(listeners: Listeners, *, incidents: IncidentService) -> None:
    """Wire the three incident modals into the Bolt app."""

    async def declare(submission: ViewSubmission, form: Declaration) -> None:
        # The answer is owed with the incident: the outbox tells the reporter, once.
        await incidents.create(
            title=form.title,
            severity=form.severity,
            actor=submission.user.id,
            description=form.description,
            components=form.components,
            request_key=f"view:{submission.view.id}",
            reply_to=ReplyTo(user=submission.user.id, channel=_origin(submission)),
        )

    async def change_status(submission: ViewSubmission, form: StatusChange) -> None:
        await incidents.update_status(
            submission.view.private_metadata, form.status, form.note, submission.user.id
        )

    async def resolve(submission: ViewSubmission, resolution: str) -> None:
        await incidents.resolve(
            incident_id=submission.view.private_metadata,
            resolution=resolution,
            actor=submission.user.id,
        )

    async def origin_channel(submission: ViewSubmission) -> str | None:
        return _origin(submission)

    async def card_channel(submission: ViewSubmission) -> str | None:
        """The channel of the card whose button opened the modal (its metadata: the ID)."""
        incident = await incidents.get(incident_id=submission.view.private_metadata)
        return incident.channel_id

    modals: dict[IncidentView, Modal[Any]] = {
        IncidentView.CREATE: Modal(
            read=read_declaration,
            act=declare,
            channel=origin_channel,
            outcome="Your incident may not have been stored: look for it in `/incident list` "
            "before you declare it again.",
        ),
        IncidentView.STATUS: Modal(
            read=read_status_change,
            act=change_status,
            channel=card_channel,
            outcome="The status may not have changed: the incident's card shows what is stored.",
        ),
        IncidentView.RESOLVE: Modal(
            read=read_resolution,
            act=resolve,
            channel=card_channel,
            outcome="The incident may not have been resolved: its card shows what is stored.",
        ),
    }
    for view, modal in modals.items():
        listeners.view(view.value, modal)
