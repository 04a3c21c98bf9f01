"""What a command that failed tells the person: one paragraph and an exit code a script can use.

A database that cannot be reached or opened is the operator's configuration to fix, so it
is a paragraph naming the (masked) URL and exit 2, never SQLAlchemy's traceback. Anything
else unexpected keeps its traceback, in the log. ``slo check`` answers 2 ("cannot tell")
whenever it reaches no verdict, whatever the reason (docs/guide.md#deploy-verdict).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys

from bot.urls import masked_url

EXIT_FAILED = 1
EXIT_CONFIGURATION = 2

log = logging.getLogger(__name__)


def is_slo_check(args: argparse.Namespace | None) -> bool:
    return (
        args is not None
        and getattr(args, "command", None) == "slo"
        and getattr(args, "action", None) == "check"
    )


def failure_exit_code(args: argparse.Namespace | None, code: int) -> int:
    """``code``, except that ``slo check`` turns every failure into 2 (cannot tell)."""
    return EXIT_CONFIGURATION if code != 0 and is_slo_check(args) else code


def _driver_message(exc: BaseException, url: str) -> str:
    """The database driver's own words, on one line, without SQLAlchemy's decorations."""
    from sqlalchemy.exc import DBAPIError

    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = " ".join(str(cause).split())
    text = re.sub(r"\s*\(Background on this error at: \S+\)", "", text)
    password = _password(url)
    return text.replace(password, "***") if password else text


def _password(url: str) -> str | None:
    match = re.match(r"^[^:/]+://[^:@/]*:([^@/]+)@", url)
    return match.group(1) if match else None


def describe_database_failure(exc: BaseException, database_url: str) -> str | None:
    """One paragraph for a database that cannot be used as configured; None if ``exc`` is
    not such a failure. SQLAlchemy is loaded here, when a command failed, not by every
    command that imports this module before it starts."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from storage.db import UnsupportedDatabase

    shown = masked_url(database_url)
    if isinstance(exc, UnsupportedDatabase | NoSuchModuleError | ArgumentError):
        why = str(exc) if isinstance(exc, UnsupportedDatabase) else "not a database URL"
        return (
            f"DATABASE_URL {shown}: {why}. Set DATABASE_URL to sqlite:///PATH (a file) or "
            "postgresql://USER:PASSWORD@HOST:PORT/NAME (see README: Configuration)."
        )
    if not isinstance(exc, DBAPIError):
        return None
    what = _driver_message(exc, database_url).rstrip(".")
    end = "" if what.endswith(("?", "!")) else "."
    if database_url.startswith("sqlite"):
        advice = "DATABASE_URL's file must be in a folder that exists and this process can write"
    else:
        advice = (
            "check DATABASE_URL's host, port, user, password and database name, and that "
            "the server is running and accepts connections from here"
        )
    return f"cannot use the database at {shown}: {what}{end} {advice[0].upper()}{advice[1:]}."


def report_failure(
    exc: Exception, *, args: argparse.Namespace | None, database_url: str | None
) -> int:
    """Tell the person what went wrong (stderr) and return the command's exit code."""
    paragraph = describe_database_failure(exc, database_url) if database_url else None
    if paragraph is not None:
        print(paragraph, file=sys.stderr)
        return EXIT_CONFIGURATION
    log.error("unexpected error", exc_info=exc)
    verdict = " so no verdict: deploys cannot be judged" if is_slo_check(args) else ""
    print(f"unexpected error ({type(exc).__name__}){verdict}; see the log above", file=sys.stderr)
    return failure_exit_code(args, EXIT_FAILED)
