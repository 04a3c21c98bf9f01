# PYTHON_ARGCOMPLETE_OK
"""``python -m bot`` / ``artisan-sre``: serve the bot and run the SRE practice from a shell.

Arguments are parsed before anything heavy is imported, so ``--help``, a usage mistake and
tab completion answer at once; the app (Slack, the database, pydantic) is loaded only for
the command chosen.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.commands.arguments import parser
from bot.commands.shell import shell_command
from bot.errors import ConfigurationError, InvalidInput, SreError

EXIT_REFUSED = 1
EXIT_USAGE = 2


def exit_code(error: SreError) -> int:
    """Bad input (the request could not be understood) is 2, a refusal by the state is 1.

    ``UnknownRun`` says whether the ID was malformed (bad input) or merely not there; it is
    read by attribute because importing ``bot.runbooks`` here would load the whole domain.
    """
    if isinstance(error, (InvalidInput, ConfigurationError)) or getattr(error, "malformed", False):
        return EXIT_USAGE
    return EXIT_REFUSED


def configure_logging() -> None:
    """What every ``python -m bot`` process logs, and how."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    # The heavy dependencies are loaded on purpose here, after parsing, and only for the
    # command chosen: `--help` and tab completion must not wait for Slack, SQLAlchemy and
    # pydantic to import.
    from bot.settings import load_environment

    env = load_environment()
    if args.command == "demo":
        # The product's one import of the sandbox (pyproject.toml: ignore_imports).
        from sandbox.demo.main import run_demo

        return run_demo(port=env.PORT, host=args.host, verbose=args.verbose)
    from bot.commands.execute import execute

    return execute(args, env)


def main(argv: list[str] | None = None) -> int:
    top = parser()
    if "_ARGCOMPLETE" in os.environ:
        # The shell asks for completions (README: From a shell); only then is it imported.
        import argcomplete

        argcomplete.autocomplete(top)
    args = top.parse_args(argv)
    configure_logging()
    try:
        return _run(args)
    except ConfigurationError as exc:
        print(f"configuration error:\n{exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except SreError as exc:
        print(exc.render(shell_command), file=sys.stderr)
        return exit_code(exc)
