"""``/incident`` and the incident card's buttons and modals: parse, call the domain, render."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InvalidInput, SreError
from bot.incidents.model import (
    IncidentStatus,
    Severity,
    validate_components,
    validate_incident_id,
    validate_text,
    validate_title,
)
from bot.incidents.service import IncidentService, ReplyTo
from handlers.blocks.incident import (
    INCIDENT_HELP,
    IncidentAction,
    IncidentView,
    create_modal,
    incident_detail,
    incident_list,
    incident_report,
    resolve_modal,
    status_modal,
)
from handlers.blocks.text import escape, message
from handlers.errors import answers_errors, error_message
from handlers.payloads import BlockAction, SlashCommand, ViewSubmission

log = logging.getLogger(__name__)

Reply = dict[str, Any]
STATUS_WORDS = {
    s.value: s
    for s in (IncidentStatus.INVESTIGATING, IncidentStatus.MITIGATED, IncidentStatus.RESOLVED)
}


@dataclass(frozen=True)
class IncidentCommands:
    """What each ``/incident`` subcommand does; one method per word of SPEC §3."""

    incidents: IncidentService
    client: AsyncWebClient

    async def run(self, command: SlashCommand) -> Reply | None:
        word, _, rest = command.text.strip().partition(" ")
        handler = self._subcommands().get(word.lower())
        if handler is None:
            if not word:
                return message(INCIDENT_HELP)
            raise InvalidInput(f"Unknown subcommand {word[:40]!r}.\n{INCIDENT_HELP}")
        return await handler(command, rest.strip())

    def _subcommands(self) -> dict[str, Callable[[SlashCommand, str], Awaitable[Reply | None]]]:
        return {
            "help": self.help,
            "create": self.create,
            "ack": self.ack,
            "status": self.status,
            "sev": self.severity,
            "note": self.note,
            "rootcause": self.rootcause,
            "resolve": self.resolve,
            "close": self.close,
            "postmortem": self.postmortem,
            "list": self.list,
            "show": self.show,
            "report": self.report,
        }

    async def help(self, command: SlashCommand, rest: str) -> Reply:
        return message(INCIDENT_HELP)

    async def create(self, command: SlashCommand, rest: str) -> Reply | None:
        if not rest:
            if command.trigger_id is None:
                raise InvalidInput("Give a title: `/incident create sev2 <what is broken>`.")
            await self.client.views_open(
                trigger_id=command.trigger_id, view=create_modal(origin_channel=command.channel_id)
            )
            return None
        first, _, title = rest.partition(" ")
        severity = Severity.SEV3
        if first.lower().startswith("sev"):
            severity = Severity.parse(first)
        else:
            title = rest
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
        incident_id, status_word, note = _split(
            rest, 2, usage="/incident status <INC-ID> <investigating|mitigated|resolved> [note]"
        )
        status = STATUS_WORDS.get(status_word.lower())
        if status is None:
            raise InvalidInput(
                f"Unknown status {status_word[:40]!r}: use investigating, mitigated or resolved."
            )
        incident = await self.incidents.update_status(incident_id, status, note, command.user_id)
        return message(f"{incident.id} is now *{incident.status.value}*.")

    async def severity(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, word, _ = _split(rest, 2, usage="/incident sev <INC-ID> <sev1..sev4>")
        incident = await self.incidents.set_severity(
            incident_id=incident_id, severity=Severity.parse(word), actor=command.user_id
        )
        return message(f"{incident.id} is now *{incident.severity.label}*.")

    async def note(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, text = _split_text(rest, usage="/incident note <INC-ID> <text>")
        incident = await self.incidents.add_note(
            incident_id=incident_id, text=text, actor=command.user_id
        )
        return message(f"📝 Added to the timeline of *{incident.id}*.")

    async def rootcause(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, text = _split_text(rest, usage="/incident rootcause <INC-ID> <text>")
        incident = await self.incidents.set_root_cause(incident_id, text, command.user_id)
        return message(f"Root cause of *{incident.id}* recorded.")

    async def resolve(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, text = _split_text(rest, usage="/incident resolve <INC-ID> <what fixed it>")
        incident = await self.incidents.resolve(
            incident_id=incident_id, resolution=text, actor=command.user_id
        )
        follow_up = ""
        if incident.postmortem_pending:
            follow_up = f" {incident.severity.label} needs a postmortem: `/incident postmortem {incident.id}`."
        return message(f"✅ *{incident.id}* resolved.{follow_up}")

    async def close(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, _, _ = _split(rest, 1, usage="/incident close <INC-ID>")
        incident = await self.incidents.close_incident(incident_id, command.user_id)
        return message(f"📁 *{incident.id}* closed.")

    async def postmortem(self, command: SlashCommand, rest: str) -> Reply:
        incident_id, url = _split_text(
            rest, usage="/incident postmortem <INC-ID> [url]", text_required=False
        )
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
        incident_id, _, _ = _split(rest, 1, usage="/incident show <INC-ID>")
        return incident_detail(await self.incidents.get(incident_id=incident_id))

    async def report(self, command: SlashCommand, rest: str) -> Reply:
        return incident_report(await self.incidents.report())


def _split(rest: str, count: int, *, usage: str) -> tuple[str, str, str]:
    """``count`` leading words (the first an incident ID) and the remaining text."""
    parts = rest.split(maxsplit=count)
    if len(parts) < count:
        raise InvalidInput(f"Usage: `{usage}`")
    incident_id = validate_incident_id(parts[0])
    second = parts[1] if count >= 2 else ""
    tail = parts[count] if len(parts) > count else ""
    return incident_id, second, tail


def _split_text(rest: str, *, usage: str, text_required: bool = True) -> tuple[str, str]:
    parts = rest.split(maxsplit=1)
    if not parts or (text_required and len(parts) < 2):
        raise InvalidInput(f"Usage: `{usage}`")
    return validate_incident_id(parts[0]), parts[1] if len(parts) > 1 else ""


def register_incident_handlers(app: AsyncApp, *, incidents: IncidentService) -> None:
    """Wire ``/incident``, the card buttons and the modals into the Bolt app."""

    @app.command("/incident")
    @answers_errors
    async def on_incident(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        command = SlashCommand.model_validate(body)
        reply = await IncidentCommands(incidents=incidents, client=client).run(command)
        if reply is not None:
            await respond(response_type="ephemeral", **reply)

    @app.action(IncidentAction.ACKNOWLEDGE.value)
    @answers_errors
    async def on_ack(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        await incidents.acknowledge(incident_id=action.action.value or "", actor=action.user.id)

    @app.action(IncidentAction.UPDATE_STATUS.value)
    @answers_errors
    async def on_update_status(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        incident = await incidents.get(incident_id=action.action.value or "")
        incidents.require_editable(incident)
        await client.views_open(trigger_id=action.trigger_id, view=status_modal(incident))

    @app.action(IncidentAction.RESOLVE.value)
    @answers_errors
    async def on_resolve(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        action = BlockAction.model_validate(body)
        incident = await incidents.get(incident_id=action.action.value or "")
        incidents.require_resolvable(incident)
        await client.views_open(trigger_id=action.trigger_id, view=resolve_modal(incident))

    @app.view(IncidentView.CREATE.value)
    async def on_create_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        submission = ViewSubmission.model_validate(body)
        errors: dict[str, str] = {}

        def field(block_id: str, read: Callable[[str], Any]) -> Any:
            try:
                return read(submission.value(block_id))
            except SreError as error:
                errors[block_id] = error.message
                return None

        title = field("title", validate_title)
        severity = field("severity", lambda v: Severity.parse(v or "sev3"))
        components = field("components", lambda v: validate_components(v.split(",")))
        description = field(
            "description", lambda v: validate_text(v, what="description", required=False)
        )
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await incidents.create(
            title=title,
            severity=severity,
            actor=submission.user.id,
            description=description,
            components=components,
            request_key=f"view:{submission.view.id}",
            reply_to=ReplyTo(user=submission.user.id, channel=submission.view.private_metadata),
        )

    @app.view(IncidentView.STATUS.value)
    async def on_status_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        submission = ViewSubmission.model_validate(body)
        status = STATUS_WORDS.get(submission.value("status"))
        note = submission.value("note")
        if status is None:
            await ack(response_action="errors", errors={"status": "Choose a status."})
            return
        if status is IncidentStatus.RESOLVED and not note.strip():
            await ack(response_action="errors", errors={"note": "Say what resolved it."})
            return
        await ack()
        await _act_after_modal(
            client,
            incidents,
            submission,
            incidents.update_status(
                submission.view.private_metadata, status, note, submission.user.id
            ),
        )

    @app.view(IncidentView.RESOLVE.value)
    async def on_resolve_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        submission = ViewSubmission.model_validate(body)
        resolution = submission.value("resolution")
        try:
            resolution = validate_text(resolution, what="resolution")
        except SreError as error:
            await ack(response_action="errors", errors={"resolution": error.message})
            return
        await ack()
        await _act_after_modal(
            client,
            incidents,
            submission,
            incidents.resolve(
                incident_id=submission.view.private_metadata,
                resolution=resolution,
                actor=submission.user.id,
            ),
        )


async def _act_after_modal(
    client: AsyncWebClient,
    incidents: IncidentService,
    submission: ViewSubmission,
    change: Awaitable[Any],
) -> None:
    """Run a change a modal asked for after the modal closed; a refusal (someone else
    resolved it meanwhile, say) reaches the person as an ephemeral next to the card."""
    try:
        await change
    except SreError as error:
        incident = await incidents.get(incident_id=submission.view.private_metadata)
        channel = incident.channel_id or ""
        await _tell(
            client, user=submission.user.id, channel=channel, reply=message(error_message(error))
        )


async def _tell(client: AsyncWebClient, *, user: str, channel: str, reply: dict[str, Any]) -> None:
    if not channel:
        return
    try:
        await client.chat_postEphemeral(channel=channel, user=user, **reply)
    except Exception:
        log.warning("could not post an ephemeral to %s in %s", user, channel, exc_info=True)
