"""``python -m bot`` / ``artisan-sre``: serve the bot and run the SRE practice from a shell."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from bot.app import Container, build_container, prepare_database
from bot.commands import incident, oncall, runbook, slo
from bot.errors import ConfigurationError, SreError
from bot.failures import failure_exit_code, report_failure
from bot.logs import configure_logging as configure_process_logging
from bot.serve import run_scheduler, serve
from bot.settings import (
    Environment,
    SreConfig,
    load_config,
    load_environment,
    policy_file_required,
)
from storage import migrate
from storage.db import Database

EXIT_USAGE = 2

AREAS: dict[str, Callable[[argparse.Namespace, Container], Awaitable[int]]] = {
    "incident": incident.run,
    "slo": slo.run,
    "oncall": oncall.run,
    "runbook": runbook.run,
    "health": runbook.health,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artisan-sre", description=__doc__)
    parser.add_argument(
        "--config", metavar="PATH", help="the team's sre.yaml (default: $SRE_CONFIG, else sre.yaml)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the Slack bot (HTTP, or Socket Mode)")
    serve.add_argument("--with-scheduler", action="store_true", help="also run scheduled duties")
    serve.add_argument("--host", default="0.0.0.0")
    commands.add_parser("scheduler", help="run the scheduler process")
    demo = commands.add_parser(
        "demo", help="the whole bot on this machine, in a local Slack in the browser ($PORT)"
    )
    demo.add_argument("--host", default="127.0.0.1", help="where the page listens")
    demo.add_argument("--verbose", action="store_true", help="log what the bot does")
    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"])
    incident.register(commands)
    slo.register(commands)
    oncall.register(commands)
    runbook.register(commands)
    return parser


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(message, file=sys.stderr)
    return code


async def _run_area(
    area: Callable[[argparse.Namespace, Container], Awaitable[int]],
    args: argparse.Namespace,
    env: Environment,
    config: SreConfig,
) -> int:
    container = build_container(env, config, db=Database(env.DATABASE_URL))
    try:
        return await area(args, container)
    finally:
        if container.deliverer is not None:
            # What the command owes Slack (a card, its update) goes out before we exit;
            # what does not make it in time is sent by the running bot.
            await container.deliverer.drain(within=15)
        await container.close()


def _serve(args: argparse.Namespace, env: Environment) -> int:
    missing = env.missing_for_serve()
    if missing:
        return _fail(
            "serve needs Slack credentials; missing environment variables: "
            + ", ".join(missing)
            + " (see README: Configuration)"
        )
    config = load_config(env.SRE_CONFIG, required=True)
    prepare_database(env)
    container = build_container(env, config)
    with_scheduler = args.with_scheduler or not env.REDIS_URL
    asyncio.run(serve(container, host=args.host, port=env.PORT, with_scheduler=with_scheduler))
    return 0


def _scheduler(env: Environment) -> int:
    if not env.SLACK_BOT_TOKEN:
        return _fail("the scheduler posts to Slack; missing environment variable: SLACK_BOT_TOKEN")
    config = load_config(env.SRE_CONFIG, required=True)
    prepare_database(env)
    asyncio.run(run_scheduler(build_container(env, config)))
    return 0


def configure_logging(env: Environment | None = None) -> None:
    """What every ``python -m bot`` process logs, and how (bot/logs.py)."""
    if env is None:
        configure_process_logging()
    else:
        configure_process_logging(env.LOG_LEVEL, env.LOG_FORMAT)


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    args = _parser().parse_args(argv)
    env: Environment | None = None
    try:
        env = load_environment()
        configure_logging(env)
        if args.config:  # --config wins over SRE_CONFIG, for every command
            env = env.model_copy(update={"SRE_CONFIG": args.config})
        if args.command == "demo":
            # The product's one import of the sandbox (pyproject.toml: ignore_imports).
            from sandbox.demo.main import run_demo

            return run_demo(port=env.PORT, host=args.host, verbose=args.verbose)
        if args.command == "serve":
            return _serve(args, env)
        if args.command == "scheduler":
            return _scheduler(env)
        # With Slack configured the CLI posts too, so it needs to know the channels.
        config = load_config(
            env.SRE_CONFIG,
            required=env.slack_configured,
            must_exist=policy_file_required(args.command, slack_configured=env.slack_configured),
        )
        if args.command == "db":
            if args.action == "upgrade":
                migrate.upgrade(env.DATABASE_URL)
            current = migrate.current_revision(env.DATABASE_URL)
            print(f"database schema at {current} (head {migrate.head_revision()})")
            return 0
        prepare_database(env)
        return asyncio.run(_run_area(AREAS[args.command], args, env, config))
    except ConfigurationError as exc:
        return _fail(f"configuration error:\n{exc.message}")
    except SreError as exc:
        return _fail(exc.message, failure_exit_code(args, 1))
    except Exception as exc:  # a clear paragraph, or the traceback logged: bot/failures.py
        return report_failure(exc, args=args, database_url=env.DATABASE_URL if env else None)
