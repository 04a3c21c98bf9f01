"""How every ``python -m bot`` process logs: one line per event, tracebacks only for the
unexpected, and a dependency that keeps failing summarised instead of repeated."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

# Libraries that narrate routine work at INFO (APScheduler: every job run; Alembic: every
# connection) or repeat one outage per retry (urllib3: each Prometheus retry).
QUIET = {"apscheduler": logging.WARNING, "alembic": logging.WARNING, "urllib3": logging.ERROR}

# Bolt warns at every start that ``token`` is ignored because ``authorize`` is given. Both
# are given on purpose (see handlers/slack_app.py), so that one message is dropped.
_BOLT_TOKEN_IGNORED = "As `installation_store` or `authorize` has been used"


class _DropBoltTokenWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("slack_bolt") and str(record.msg).startswith(_BOLT_TOKEN_IGNORED)
        )


# Bolt logs a request that fails its signature check with the whole body, which carries the
# verification token and whatever the sender put there. Request bodies are never logged.
_BOLT_BAD_SIGNATURE = "Invalid request signature detected"


class _NoRequestBodies(logging.Filter):
    """Keeps Bolt's "invalid signature" line but without the request body it carries."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("slack_bolt") and str(record.msg).startswith(_BOLT_BAD_SIGNATURE):
            record.msg = f"{_BOLT_BAD_SIGNATURE}; the request was refused (body not logged)"
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and exc_info when present."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: str = "INFO", fmt: str = "text", *, stream: TextIO | None = None
) -> None:
    """Set up the root logger once per process (``LOG_LEVEL``, ``LOG_FORMAT`` = text|json)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_DropBoltTokenWarning())
    handler.addFilter(_NoRequestBodies())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)


def is_outage(error: BaseException) -> bool:
    """A dependency not answering (refused, reset, timed out): expected, no traceback needed.
    aiohttp's and requests' connection errors are ``OSError`` subclasses too."""
    return isinstance(error, OSError | TimeoutError | ConnectionError)


class FailureSummary:
    """A dependency's repeated failures, logged as its first failure, then one line every
    ``every_seconds`` with the count, and one line when it answers again.

    During a Slack or Redis outage this is three lines an hour instead of one per attempt.
    """

    def __init__(
        self,
        log: logging.Logger,
        dependency: str,
        *,
        every_seconds: float = 300.0,
        state: str = "unreachable",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._dependency = dependency
        self._state = state
        self._every = every_seconds
        self._clock = clock
        self._failures = 0
        self._since_summary = 0
        self._next_summary = 0.0

    @property
    def failing(self) -> bool:
        return self._failures > 0

    def failed(self, what: str, *, error: BaseException | None = None) -> None:
        """Record one failure; ``what`` is a one-line cause. An ``error`` that is not an
        outage (a connection refused or a timeout) gets its traceback, once, in the first line."""
        now = self._clock()
        self._failures += 1
        self._since_summary += 1
        if self._failures == 1:
            unexpected = error is not None and not is_outage(error)
            self._log.warning(
                "%s %s: %s",
                self._dependency,
                self._state,
                what,
                exc_info=error if unexpected else None,
            )
            self._since_summary = 0
            self._next_summary = now + self._every
        elif now >= self._next_summary:
            self._log.warning(
                "%s still %s: %d more failures (%d in all); last: %s",
                self._dependency,
                self._state,
                self._since_summary,
                self._failures,
                what,
            )
            self._since_summary = 0
            self._next_summary = now + self._every

    def recovered(self) -> None:
        """The dependency answered; says so once if it had been failing."""
        if self._failures:
            self._log.info("%s answers again after %d failures", self._dependency, self._failures)
        self._failures = 0
        self._since_summary = 0
