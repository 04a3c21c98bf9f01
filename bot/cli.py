# PYTHON_ARGCOMPLETE_OK
"""``python -m bot`` / ``artisan-sre``: serve the bot and run the SRE practice from a shell.

Arguments are parsed before anything heavy is imported, so ``--help``, a usage mistake and
tab completion answer at once; the app (Slack, the database, pydantic) is loaded only for
the command chosen.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Mapping

from bot.commands.arguments import parser
from bot.commands.parsers import language_asked
from bot.commands.shell import shell_command
from bot.errors import ConfigurationError, InvalidInput, NoVerdict, SreError
from bot.i18n import Language, language_from, words_for
from bot.logs import configure_logging as configure_process_logging

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141
"""As a shell reports a command that SIGPIPE ended (128 + 13)."""

log = logging.getLogger(__name__)


def exit_code(error: SreError) -> int:
    """Bad input (the request could not be understood) and a question nobody could answer
    are 2, a refusal by the state is 1.

    ``UnknownRun`` says whether the ID was malformed (bad input) or merely not there; it is
    read by attribute because importing ``bot.runbooks`` here would load the whole domain.
    """
    if isinstance(error, (InvalidInput, NoVerdict, ConfigurationError)) or getattr(
        error, "malformed", False
    ):
        return EXIT_USAGE
    return EXIT_REFUSED


def _language(argv: list[str], environ: Mapping[str, str]) -> Language:
    """``--lang`` when it names a language, else the locale's (``LC_ALL``, ``LC_MESSAGES``,
    ``LANG``). An unknown ``--lang`` is then refused by the parser, in the locale's language."""
    asked = language_asked(argv)
    if asked is not None and asked.lower() in {language.value for language in Language}:
        return Language(asked.lower())
    return language_from(environ)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """What every ``python -m bot`` process logs, and how (``bot/logs.py``)."""
    configure_process_logging(level, fmt)


def _loaded() -> None:
    """The command's code is loaded. When ``run`` kept the collector off while it loaded,
    what was loaded is kept out of every later collection and the collector is back on for
    the command, however long it runs."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def run() -> None:
    """``python -m bot`` and ``artisan-sre``: ``main`` as a process of its own.

    Loading the application creates some hundred thousand objects that live as long as the
    process, and the garbage collector would walk them again and again while they are
    created: a tenth of a short command's time. So it is off until ``main`` has loaded what
    the command needs (``_loaded``); a caller of ``main`` in its own process keeps its own.
    """
    gc.disable()
    try:
        code = main()
        sys.stdout.flush()  # here, not at exit, where a closed pipe could only be shouted about
    except BrokenPipeError:
        # Whoever read the output stopped reading (`| head -1`): nothing more is owed to it,
        # and the rest of what was printed goes nowhere instead of failing again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    raise SystemExit(code)


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run one command and return its exit code. ``environ`` is the only environment it
    reads (default: this process's), so a caller in the same process can give it its own."""
    environ = os.environ if environ is None else environ
    words = words_for(_language(sys.argv[1:] if argv is None else argv, environ))
    top = parser(words)
    if "_ARGCOMPLETE" in environ:
        # The shell asks for completions (docs/shell.md#tab-completion); only then is it imported.
        # It reads the completion request from this process's environment, where the shell
        # put it.
        import argcomplete

        argcomplete.autocomplete(top)
    args = top.parse_args(argv)
    configure_logging()
    # The heavy dependencies are loaded on purpose from here on, after parsing, and only for
    # the command chosen: `--help` and tab completion must not wait for Slack, SQLAlchemy
    # and pydantic to import.
    from bot.failures import failure_exit_code, report_failure
    from bot.settings import Environment, load_environment

    env: Environment | None = None
    try:
        env = load_environment(environ)
        configure_logging(env.LOG_LEVEL, env.LOG_FORMAT)
        if args.config:  # --config wins over SRE_CONFIG, for every command
            env = env.model_copy(update={"SRE_CONFIG": args.config})
        if args.command == "demo":
            # The product's one import of the sandbox (pyproject.toml: ignore_imports).
            from sandbox.demo.main import run_demo

            _loaded()
            return run_demo(port=env.PORT, host=args.host, verbose=args.verbose)
        from bot.commands.quick import quick_answer

        answered = quick_answer(args, env, words=words)
        if answered is not None:
            return answered
        from bot.commands.execute import execute

        _loaded()
        return execute(args, env, environ, words=words)
    except ConfigurationError as exc:
        print(f"configuration error:\n{exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except SreError as exc:
        print(exc.render(shell_command, words=words), file=sys.stderr)
        return failure_exit_code(args, exit_code(exc))
    except BrokenPipeError:
        raise  # the reader left: `run` ends quietly
    except Exception as exc:  # a clear paragraph, or the traceback logged: bot/failures.py
        return report_failure(exc, args=args, database_url=env.DATABASE_URL if env else None)
