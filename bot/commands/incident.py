"""``python -m bot incident ...`` (guide §4.2, §11; SPEC §8)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.app import Container
from bot.incidents.cli_text import (
    acknowledged_lines,
    created_lines,
    detail_text,
    incident_json,
    list_text,
    report_text,
)
from bot.incidents.model import Severity

EXIT_USAGE = 2


class IncidentFile(BaseModel):
    """The JSON of guide §4.2 that ``incident create`` takes."""

    model_config = ConfigDict(extra="forbid")

    title: str
    description: str = ""
    severity: str = "Sev3"
    components: list[str] = Field(default_factory=list)


def register(commands: Any) -> None:
    incident = commands.add_parser("incident", help="declare and run incidents")
    actions = incident.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="declare an incident from guide §4.2 JSON")
    create.add_argument("json")
    ack = actions.add_parser("ack", help="acknowledge an incident")
    ack.add_argument("incident_id")
    ack.add_argument("--responder", required=True)
    show = actions.add_parser("show")
    show.add_argument("incident_id")
    show.add_argument("--json", action="store_true")
    listing = actions.add_parser("list")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--all", action="store_true", help="include resolved and closed")
    report = actions.add_parser("report")
    report.add_argument("--days", type=int, default=30, help="look back this many days (0: all)")


async def run(args: argparse.Namespace, container: Container) -> int:
    service = container.incidents
    if args.action == "create":
        try:
            spec = IncidentFile.model_validate_json(args.json)
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
        incident = await service.acknowledge(incident_id=args.incident_id, actor=args.responder)
        print(acknowledged_lines(incident))
    elif args.action == "show":
        incident = await service.get(incident_id=args.incident_id)
        if args.json:
            print(json.dumps(incident_json(incident), indent=2, ensure_ascii=False))
        else:
            print(detail_text(incident))
    elif args.action == "list":
        if args.json:
            if args.all:
                found = await service.list_with_timelines()
            else:
                active = await service.list_incidents(limit=None)
                found = [await service.get(incident_id=i.id) for i in active]
            print(json.dumps([incident_json(i) for i in found], indent=2, ensure_ascii=False))
        else:
            print(list_text(await service.list_incidents(active_only=not args.all, limit=None)))
    elif args.action == "report":
        print(report_text(await service.report(days=args.days or None)))
    return 0
