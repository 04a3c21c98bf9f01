"""Running the command ``bot.cli`` parsed: build what it needs, run it, close it.

Each command loads what it uses: the incident commands without Slack need only the core
(the database and the incident service, ``bot.core``), ``db`` the migrations, ``slo rules``
sre.yaml; the whole application (Slack, the web server, the HTTP clients, ``bot.app``) is
imported by the commands that use it, when they run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core import build_core, prepare_database
from bot.i18n import ENGLISH, Words
from bot.settings import Environment, SreConfig, load_config, shell_config
from storage import migrate

if TYPE_CHECKING:
    from bot.app import Container

EXIT_USAGE = 2

log = logging.getLogger(__name__)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(message, file=sys.stderr)
    return code


async def _run_on_core(
    args: argparse.Namespace, env: Environment, config: SreConfig, words: Words
) -> int:
    """An incident command with nothing to post: the database and the incident service."""
    from bot.commands import incident

    core = build_core(env, config)
    try:
        return await incident.run(args, core.incidents, core.people, words=words)
    finally:
        await core.close()


async def _run_area(
    args: argparse.Namespace, env: Environment, config: SreConfig, words: Words
) -> int:
    from bot.app import build_container
    from bot.commands import incident, oncall, runbook, slo

    areas: dict[str, Callable[[argparse.Namespace, Container], Awaitable[int]]] = {
        "slo": slo.run,
        "oncall": oncall.run,
        "runbook": runbook.run,
        "health": runbook.health,
    }
    container = build_container(env, config)
    try:
        if args.command == "incident":
            return await incident.run(args, container.incidents, container.people, words=words)
        return await areas[args.command](args, container)
    finally:
        if container.outbox is not None:
            # What the command owes Slack (a card, its update) goes out before we exit;
            # what does not make it in time is sent by the running bot.
            await container.outbox.drain(within=15)
        await container.close()


SINGLE_PROCESS = (
    "SQLite lets one process write at a time, so the bot runs as one process on it: "
    "`python -m bot serve` verifies, stores and does the work itself. Separate web and "
    "worker processes need PostgreSQL (see README: Scaling)"
)


def _serve(args: argparse.Namespace, env: Environment, environ: Mapping[str, str]) -> int:
    from bot.app import build_container, process_clock
    from bot.serve import serve

    missing = env.missing_for_serve()
    if missing:
        return _fail(
            "serve needs Slack credentials; missing environment variables: "
            + ", ".join(missing)
            + " (see README: Configuration)"
        )
    if args.web_only and env.DATABASE_URL.startswith("sqlite"):
        return _fail(f"serve --web-only needs PostgreSQL. {SINGLE_PROCESS}")
    config = load_config(env.SRE_CONFIG, required=True)
    # Without Redis the one web process runs the duties too; of several workers, only the
    # one their parent asked (worker 0), so the duties never run twice.
    with_scheduler = not args.web_only and (
        args.with_scheduler or (not env.REDIS_URL and args.as_worker is None)
    )
    if args.workers > 1:
        return _serve_workers(
            args, env, environ, with_scheduler=args.with_scheduler or not env.REDIS_URL
        )
    if args.as_worker is None:
        prepare_database(env)  # the workers' parent prepared it once for all of them
    clock = process_clock(args.clock_start, anchor=args.clock_anchor)
    container = build_container(env, config, clock=clock)
    asyncio.run(
        serve(
            container,
            host=args.host,
            port=env.PORT,
            with_scheduler=with_scheduler,
            worker=args.as_worker,
            web_only=args.web_only,
        )
    )
    return 0


def _serve_workers(
    args: argparse.Namespace,
    env: Environment,
    environ: Mapping[str, str],
    *,
    with_scheduler: bool,
) -> int:
    from bot.workers import WorkerCommand, Workers

    if env.DATABASE_URL.startswith("sqlite"):
        return _fail(
            f"--workers {args.workers} needs PostgreSQL: SQLite lets one process write at a "
            "time, so more workers would only queue (see README: Scaling)"
        )
    if env.SLACK_APP_TOKEN:
        return _fail("--workers is for HTTP mode; Socket Mode runs one process")
    prepare_database(env)
    command = WorkerCommand(
        config=args.config,
        host=args.host,
        with_scheduler=with_scheduler,
        web_only=args.web_only,
        clock_start=args.clock_start,
        clock_anchor=args.clock_anchor or datetime.now(UTC),
    )
    return asyncio.run(Workers(command, count=args.workers, environ=environ).run())


def _worker(args: argparse.Namespace, env: Environment) -> int:
    from bot.app import build_container, process_clock
    from bot.serve import run_worker

    if args.command == "scheduler":
        log.warning("`python -m bot scheduler` is now `python -m bot worker`; it does the same")
    if not env.SLACK_BOT_TOKEN:
        return _fail("the worker posts to Slack; missing environment variable: SLACK_BOT_TOKEN")
    if env.DATABASE_URL.startswith("sqlite"):
        return _fail(f"python -m bot {args.command} needs PostgreSQL. {SINGLE_PROCESS}")
    config = load_config(env.SRE_CONFIG, required=True)
    prepare_database(env)
    clock = process_clock(args.clock_start, anchor=args.clock_anchor)
    asyncio.run(run_worker(build_container(env, config, clock=clock)))
    return 0


def execute(
    args: argparse.Namespace,
    env: Environment,
    environ: Mapping[str, str],
    *,
    words: Words = ENGLISH,
) -> int:
    """Run every command but ``demo``; SreError propagates for ``bot.cli`` to explain.
    ``environ`` is what ``serve --workers`` starts its workers with; ``words`` is the
    language the incident commands answer in."""
    if args.command == "serve":
        return _serve(args, env, environ)
    if args.command in ("worker", "scheduler"):
        return _worker(args, env)
    config = shell_config(env, args.command)
    if args.command == "db":
        if args.action == "upgrade":
            migrate.upgrade(env.DATABASE_URL)
        current = migrate.current_revision(env.DATABASE_URL)
        print(f"database schema at {current} (head {migrate.head_revision()})")
        return 0
    if args.command == "slo" and args.action == "rules":
        from bot.commands import slo

        return slo.rules(args, config.slos)  # text from sre.yaml: no database, no Slack
    prepare_database(env)
    if args.command == "incident" and not env.slack_configured:
        return asyncio.run(_run_on_core(args, env, config, words))
    return asyncio.run(_run_area(args, env, config, words))
