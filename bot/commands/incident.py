"""``python -m bot incident ...``: the incident commands of the shell.

``incident create`` reads both dialects: Slack's words (``sev2 Qwen down``) and the guide's
JSON (a first word that opens with ``{``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bot.commands.shell import shell_command
from bot.errors import Hint
from bot.i18n import ENGLISH, Words
from bot.incidents.cli_text import (
    acknowledged_lines,
    created_lines,
    detail_text,
    explain_text,
    incident_json,
    list_text,
    people_in,
    report_text,
)
from bot.incidents.explain import explain
from bot.incidents.model import Incident, IncidentStatus, Severity, severity_and_title
from bot.incidents.postmortem import postmortem_draft
from bot.incidents.service import IncidentService
from bot.people import Names, PeopleDirectory, look_up

EXIT_USAGE = 2


class IncidentFile(BaseModel):
    """The JSON ``incident create`` takes (docs/guide.md#incident-create)."""

    model_config = ConfigDict(extra="forbid")

    # Checked here, so an empty title is told in JSON terms rather than with /incident's words.
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    description: str = ""
    severity: str = "Sev3"
    components: list[str] = Field(default_factory=list)


async def run(
    args: argparse.Namespace,
    service: IncidentService,
    people: PeopleDirectory,
    *,
    words: Words = ENGLISH,
) -> int:
    """One ``incident`` command; people in what it prints are named as ``people`` knows them.
    ``list`` and ``show`` speak ``words``' language; the guide fixes ``create``'s and
    ``ack``'s lines in English."""

    async def names(incidents: list[Incident]) -> Names:
        return await look_up(people, people_in(incidents))

    if args.action == "create":
        text = " ".join(args.words)
        if not text.lstrip().startswith("{"):
            severity, title = severity_and_title(text)
            incident = await service.create(title=title, severity=severity, actor="cli")
            print(created_lines(incident))
            return 0
        try:
            spec = IncidentFile.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'json'}: {e['msg']}" for e in exc.errors()
            )
            print(f"incident create: {problems}", file=sys.stderr)
            return EXIT_USAGE
        incident = await service.create(
            title=spec.title,
            severity=Severity.parse(spec.severity),
            description=spec.description,
            components=spec.components,
            actor="cli",
        )
        print(created_lines(incident))
    elif args.action == "ack":
        incident = await service.acknowledge(incident_id=args.incident_id, actor=args.actor)
        print(acknowledged_lines(incident, await names([incident])))
    elif args.action == "postmortem" and args.url is None:
        # A draft to start from, printed here (Slack's `/incident postmortem` posts it instead).
        incident = await service.get(incident_id=args.incident_id)
        print(postmortem_draft(incident, names=await names([incident]), spelling=shell_command))
    elif args.action in _CHANGES:
        print(await _CHANGES[args.action](args, service))
    elif args.action == "show":
        incident = await service.get(incident_id=args.incident_id)
        if args.json:
            print(json.dumps(incident_json(incident), indent=2, ensure_ascii=False))
        else:
            print(detail_text(incident, await names([incident]), words=words))
    elif args.action == "explain":
        incident = await service.get(incident_id=args.incident_id)
        print(explain_text(explain(incident), await names([incident])))
    elif args.action == "list":
        if args.json:
            if args.all:
                found = await service.list_with_timelines()
            else:
                active = await service.list_incidents(limit=None)
                found = [await service.get(incident_id=i.id) for i in active]
            print(json.dumps([incident_json(i) for i in found], indent=2, ensure_ascii=False))
        else:
            listed = await service.list_incidents(active_only=not args.all, limit=None)
            print(list_text(listed, await names(listed), words=words, everything=args.all))
    elif args.action == "report":
        print(report_text(await service.report(days=args.days or None)))
    return 0


async def _status(args: argparse.Namespace, service: IncidentService) -> str:
    incident = await service.update_status(
        args.incident_id, IncidentStatus(args.status), " ".join(args.note), args.actor
    )
    return f"{incident.id} is now {incident.status.value}.{_postmortem_due(incident)}"


async def _severity(args: argparse.Namespace, service: IncidentService) -> str:
    incident = await service.set_severity(
        incident_id=args.incident_id, severity=Severity.parse(args.severity), actor=args.actor
    )
    return f"{incident.id} is now {incident.severity.label}."


async def _note(args: argparse.Namespace, service: IncidentService) -> str:
    incident = await service.add_note(
        incident_id=args.incident_id, text=" ".join(args.text), actor=args.actor
    )
    return f"📝 Noted on {incident.id}'s timeline."


async def _rootcause(args: argparse.Namespace, service: IncidentService) -> str:
    incident = await service.set_root_cause(args.incident_id, " ".join(args.text), args.actor)
    return f"🔎 Root cause of {incident.id} recorded."


async def _resolve(args: argparse.Namespace, service: IncidentService) -> str:
    incident = await service.resolve(
        incident_id=args.incident_id, resolution=" ".join(args.text), actor=args.actor
    )
    return f"✅ {incident.id} resolved.{_postmortem_due(incident)}"


async def _close(args: argparse.Namespace, service: IncidentService) -> str:
    incident = await service.close_incident(args.incident_id, args.actor)
    return f"📁 {incident.id} closed."


async def _postmortem(args: argparse.Namespace, service: IncidentService) -> str:
    incident = await service.complete_postmortem(args.incident_id, args.url, args.actor)
    return f"📝 Postmortem of {incident.id} recorded: {incident.postmortem_url}"


def _postmortem_due(incident: Incident) -> str:
    if not incident.postmortem_pending:
        return ""
    draft = shell_command(Hint("incident", "postmortem", (incident.id,)))
    return f" {incident.severity.label} needs a postmortem: `{draft}` prints a draft."


_CHANGES: dict[str, Callable[[argparse.Namespace, IncidentService], Awaitable[str]]] = {
    "status": _status,
    "sev": _severity,
    "note": _note,
    "rootcause": _rootcause,
    "resolve": _resolve,
    "close": _close,
    "postmortem": _postmortem,
}
