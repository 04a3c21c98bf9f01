"""``python -m bot`` / ``artisan-sre``: serve the bot and run the SRE practice from a shell."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.app import Container, build_container
from bot.errors import ConfigurationError, SreError
from bot.incidents.model import Severity
from bot.incidents.views import (
    acknowledged_lines,
    created_lines,
    detail_text,
    incident_json,
    list_text,
    report_text,
)
from bot.settings import Environment, SreConfig, load_config, load_environment
from storage import migrate
from storage.db import Database

EXIT_USAGE = 2


class IncidentFile(BaseModel):
    """The JSON of guide §4.2 that ``incident create`` takes."""

    model_config = ConfigDict(extra="forbid")

    title: str
    description: str = ""
    severity: str = "Sev3"
    components: list[str] = Field(default_factory=list)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artisan-sre", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the Slack bot (HTTP, or Socket Mode)")
    serve.add_argument("--with-scheduler", action="store_true", help="also run scheduled duties")
    serve.add_argument("--host", default="0.0.0.0")
    commands.add_parser("scheduler", help="run the scheduler process")

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"])

    incident = commands.add_parser("incident", help="incidents")
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
    return parser


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(message, file=sys.stderr)
    return code


def prepare_database(env: Environment) -> None:
    """SQLite files are upgraded in place; a PostgreSQL schema must be upgraded on purpose."""
    if env.DATABASE_URL.startswith("sqlite"):
        migrate.upgrade(env.DATABASE_URL)
        return
    current, head = migrate.current_revision(env.DATABASE_URL), migrate.head_revision()
    if current != head:
        raise ConfigurationError(
            f"the database schema is at {current or 'nothing'}, this version needs {head}: "
            "run `python -m bot db upgrade`"
        )


async def _with_container(
    env: Environment, config: SreConfig, work: Callable[[Container], Awaitable[int]]
) -> int:
    container = build_container(env, config, db=Database(env.DATABASE_URL))
    try:
        return await work(container)
    finally:
        await container.close()


def _incident(args: argparse.Namespace, env: Environment, config: SreConfig) -> int:
    async def work(container: Container) -> int:
        service = container.incidents
        if args.action == "create":
            try:
                spec = IncidentFile.model_validate_json(args.json)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'json'}: {e['msg']}" for e in exc.errors()
                )
                return _fail(f"incident create: {problems}")
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
            print(
                json.dumps(incident_json(incident), indent=2, ensure_ascii=False)
                if args.json
                else detail_text(incident)
            )
        elif args.action == "list":
            if args.json:
                found = (
                    await service.list_with_timelines()
                    if args.all
                    else [
                        await service.get(incident_id=i.id)
                        for i in await service.list_incidents(limit=None)
                    ]
                )
                print(json.dumps([incident_json(i) for i in found], indent=2, ensure_ascii=False))
            else:
                print(list_text(await service.list_incidents(active_only=not args.all, limit=None)))
        elif args.action == "report":
            print(report_text(await service.report(days=args.days or None)))
        return 0

    return asyncio.run(_with_container(env, config, work))


def _serve(args: argparse.Namespace, env: Environment, config: SreConfig) -> int:
    from bot.serve import serve

    missing = env.missing_for_serve()
    if missing:
        return _fail(
            "serve needs Slack credentials; missing environment variables: "
            + ", ".join(missing)
            + " (see README: Configuring Slack)"
        )
    if args.with_scheduler or not env.REDIS_URL:
        logging.getLogger(__name__).warning(
            "scheduled duties (reminders, handoffs, digests) are not part of this version yet"
        )
    prepare_database(env)
    container = build_container(env, config)
    asyncio.run(serve(container, host=args.host, port=env.PORT))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = _parser().parse_args(argv)
    try:
        env = load_environment()
        config = load_config(env.SRE_CONFIG)
        if args.command == "serve":
            return _serve(args, env, config)
        if args.command == "scheduler":
            return _fail(
                "the scheduler process arrives with the time-driven duties; nothing to run yet"
            )
        if args.command == "db":
            if args.action == "upgrade":
                migrate.upgrade(env.DATABASE_URL)
            print(
                f"database schema at {migrate.current_revision(env.DATABASE_URL)} (head {migrate.head_revision()})"
            )
            return 0
        if args.command == "incident":
            prepare_database(env)
            return _incident(args, env, config)
    except ConfigurationError as exc:
        return _fail(f"configuration error:\n{exc.message}")
    except SreError as exc:
        return _fail(exc.message, 1)
    return _fail("unknown command")
