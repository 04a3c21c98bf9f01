"""``/incident`` and the incident card's buttons: parse, call the domain, render.

The card's modals are in ``handlers/incident_modals.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InvalidInput
from bot.incidents.model import (
    IncidentStatus,
    Severity,
    severity_and_title,
    validate_incident_id,
)
from bot.incidents.service import IncidentService, ReplyTo
from handlers.blocks.errors import NOTHING_CHANGED
from handlers.blocks.incident import (
    INCIDENT_HELP,
    IncidentAction,
    create_modal,
    incident_detail,
    incident_list,
    incident_report,
    resolve_modal,
    status_modal,
)
from handlers.blocks.text import Reply, escape, message
from handlers.listeners import Listeners
from handlers.payloads import BlockAction, SlashCommand
from handlers.subcommands import SubcommandRouter

STATUS_WORDS = {
    s.value: s
    for s in (IncidentStatus.INVESTIGATING, IncidentStatus.MITIGATED, IncidentStatus.RESOLVED)
}
STATUS_USAGE = "/incident status <INC-ID> <investigating|mitigated|resolved> [note]"


@dataclass(frozen=True)
class IncidentCommands:
    """What each ``/incident`` subcommand does; one method per verb."""

    incidents: IncidentService
    client: AsyncWebClient
    zone: tzinfo = UTC
    """The team's time zone, for times where Slack cannot show the reader's own."""

    def router(self) -> SubcommandRouter:
        router = SubcommandRouter("/incident", help_text=INCIDENT_HELP)
        for word, run, usage, min_words in (
            ("create", self.create, "", 0),
            ("ack", self.ack, "", 0),
            ("status", self.status, STATUS_USAGE, 2),
            ("sev", self.severity, "/incident sev <INC-ID> <sev1..sev4>", 2),
            ("note", self.note, "/incident note <INC-ID> <text>", 2),
            ("rootcause", self.rootcause, "/incident rootcause <INC-ID> <text>", 2),
            ("resolve", self.resolve, "/incident resolve <INC-ID> <what fixed it>", 2),
            ("close", self.close, "/incident close <INC-ID>", 1),
            ("postmortem", self.postmortem, "/incident postmortem <INC-ID> [url]", 1),
            ("list", self.list, "", 0),
            ("show", self.show, "/incident show <INC-ID>", 1),
            ("report", self.report, "", 0),
        ):
            router.add(word, run, usage=usage, min_words=min_words)
        return router

    async def create(self, command: SlashCommand, rest: str) -> Reply | None:
        if not rest:
            if command.trigger_id is None:
                raise InvalidInput("Give a title: `/incident create sev2 <what is broken>`.")
            await open_form(
                self.client, command.trigger_id, create_modal(origin_channel=command.channel_id)
            )
            return None
        severity, title = severity_and_title(rest)
        # The answer is owed with the incident (the outbox sends it), so a crash or a Slack
        # outage after the commit still tells the reporter, once.
        await self.incidents.create(
            title=title,
            severity=severity,
            actor=command.user_id,
            request_key=f"slash:{command.trigger_id}" if command.trigger_id else None,
            reply_to=ReplyTo(
                user=command.user_id,
                channel=command.channel_id,
                response_url=command.response_url,
            ),
        )
        return None

    async def ack(self, command: SlashCommand, rest: str) -> Reply:
        incident_id = rest.split()[0] if rest else await self._only_open_here(command.channel_id)
        incident = await self.incidents.acknowledge(incident_id=incident_id, actor=command.user_id)
        return message(f"👀 You acknowledged *{incident.id}*: {escape(incident.title)}")

    async def _only_open_here(self, channel_id: str) -> str:
        waiting = [
            i
            for i in await self.incidents.list_incidents(channel_id=channel_id)
            if i.status is IncidentStatus.OPEN
        ]
        if len(waiting) == 1:
            return waiting[0].id
        if not waiting:
            raise InvalidInput(
                "No unacknowledged incident in this channel: `/incident ack <INC-ID>`."
            )
        ids = ", ".join(i.id for i in waiting[:10])
        raise InvalidInput(
            f"Several incidents wait here ({ids}): say which, `/incident ack <INC-ID>`."
        )

    async def status(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, status_word, note = _parts(rest, 3)
        status = STATUS_WORDS.get(status_word.lower())
        if status is None:
            raise InvalidInput(
                f"Unknown status {status_word[:40]!r}: use investigating, mitigated or resolved."
            )
        incident = await self.incidents.update_status(incident_id, status, note, command.user_id)
        return message(f"{incident.id} is now *{incident.status.value}*.")

    async def severity(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, word, _ = _parts(rest, 3)
        incident = await self.incidents.set_severity(
            incident_id=incident_id, severity=Severity.parse(word), actor=command.user_id
        )
        return message(f"{incident.id} is now *{incident.severity.label}*.")

    async def note(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, text = _parts(rest, 2)
        incident = await self.incidents.add_note(
            incident_id=incident_id,
            text=text,
            actor=command.user_id,
            request_key=f"slash:{command.trigger_id}" if command.trigger_id else None,
        )
        return message(f"📝 Added to the timeline of *{incident.id}*.")

    async def rootcause(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, text = _parts(rest, 2)
        incident = await self.incidents.set_root_cause(incident_id, text, command.user_id)
        return message(f"Root cause of *{incident.id}* recorded.")

    async def resolve(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, text = _parts(rest, 2)
        incident = await self.incidents.resolve(
            incident_id=incident_id, resolution=text, actor=command.user_id
        )
        follow_up = ""
        if incident.postmortem_pending:
            follow_up = f" {incident.severity.label} needs a postmortem: `/incident postmortem {incident.id}`."
        return message(f"✅ *{incident.id}* resolved.{follow_up}")

    async def close(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, _ = _parts(rest, 2)
        incident = await self.incidents.close_incident(incident_id, command.user_id)
        return message(f"📁 *{incident.id}* closed.")

    async def postmortem(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, url = _parts(rest, 2)
        if not url:
            await self.incidents.post_postmortem_draft(
                incident_id=incident_id, actor=command.user_id
            )
            return message(
                f"📝 Posted a postmortem draft in the thread of *{validate_incident_id(incident_id)}*."
            )
        incident = await self.incidents.complete_postmortem(incident_id, url, command.user_id)
        return message(f"📝 Postmortem of *{incident.id}* recorded.")

    async def list(self, command: SlashCommand, rest: str) -> Reply:
        return incident_list(await self.incidents.list_incidents())

    async def show(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, _ = _parts(rest, 2)
        return incident_detail(await self.incidents.get(incident_id=incident_id), zone=self.zone)

    async def report(self, command: SlashCommand, rest: str) -> Reply:
        return incident_report(await self.incidents.report())


# Slack's answers when the click's trigger cannot open a form: it lasts 3 s and opens one.
_TRIGGER_SPENT = {
    "invalid_trigger_id",
    "expired_trigger_id",
    "exchanged_trigger_id",
}


async def open_form(client: AsyncWebClient, trigger_id: str | None, view: dict[str, Any]) -> None:
    """Open a modal; a trigger Slack no longer takes is the person's to retry, not a fault."""
    spent = InvalidInput("The form did not open in time (Slack allows 3 seconds): try again.")
    if not trigger_id:
        raise spent
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        if exc.response.get("error") in _TRIGGER_SPENT:
            raise spent from None
        raise


def _parts(rest: str, count: int) -> list[str]:
    """``rest`` cut into ``count`` parts, the last taking the remainder and missing ones
    empty; the first is checked as an incident ID (the router made sure there is one)."""
    parts = rest.split(maxsplit=count - 1)
    parts += [""] * (count - len(parts))
    parts[0] = validate_incident_id(parts[0])
    return parts


def register_incident_handlers(
    listeners: Listeners, *, incidents: IncidentService, zone: tzinfo = UTC
) -> None:
    """Wire ``/incident`` and the card buttons into the Bolt app."""
    commands = IncidentCommands(incidents=incidents, client=listeners.client, zone=zone)
    listeners.command(
        "/incident",
        commands.router().dispatch,
        outcome="Your request may or may not have been carried out: check `/incident list` "
        "or the incident's card before you repeat it.",
    )

    async def acknowledge(action: BlockAction) -> None:
        await incidents.acknowledge(incident_id=action.action.value or "", actor=action.user.id)

    async def open_status_form(action: BlockAction) -> None:
        incident = await incidents.get(incident_id=action.action.value or "")
        incidents.require_editable(incident)
        await open_form(listeners.client, action.trigger_id, status_modal(incident))

    async def open_resolve_form(action: BlockAction) -> None:
        incident = await incidents.get(incident_id=action.action.value or "")
        incidents.require_resolvable(incident)
        await open_form(listeners.client, action.trigger_id, resolve_modal(incident))

    listeners.action(
        IncidentAction.ACKNOWLEDGE.value,
        acknowledge,
        outcome="The incident may or may not have been acknowledged: its card shows what is "
        "stored.",
    )
    listeners.action(IncidentAction.UPDATE_STATUS.value, open_status_form, outcome=NOTHING_CHANGED)
    listeners.action(IncidentAction.RESOLVE.value, open_resolve_form, outcome=NOTHING_CHANGED)
