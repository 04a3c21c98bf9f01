"""Running ``python -m bot``: in this process (``invoke``) or as a separate process
(``run_cli``, as a person or a pipeline does).

``invoke`` calls ``bot.cli.main`` with the environment the test gives and nothing else, in
a worker thread (it runs its own event loop), and returns what a process would: the exit
code, stdout and stderr. It saves the ~1.5 s a ``python -m bot`` process spends starting,
so the shell's behaviour is tested this way and ``run_cli`` is kept for the door itself:
exit codes, ``--help``, tab completion, a real process reading its real environment.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TextIO, cast

from bot.cli import main
from bot.logs import QUIET


@dataclass
class _Call:
    """One ``invoke`` under way: its thread and what it wrote."""

    thread: int = field(default_factory=threading.get_ident)
    out: io.StringIO = field(default_factory=io.StringIO)
    err: io.StringIO = field(default_factory=io.StringIO)


_calling: ContextVar[_Call | None] = ContextVar("cli_call", default=None)
_current: _Call | None = None
# main() sets up the process's logging and the routed streams are process-wide: one call at
# a time (each takes a fraction of a second in-process).
_one_at_a_time = threading.Lock()


def _call_writing() -> _Call | None:
    """The call that is writing: by context (its event loop's tasks, ``asyncio.to_thread``
    work) or by thread (SQLAlchemy's greenlets, which start with a context of their own)."""
    call = _calling.get()
    if call is None and _current is not None and _current.thread == threading.get_ident():
        call = _current
    return call


class _Routed:
    """``sys.stdout`` or ``sys.stderr`` during a call: what the call writes goes to its own
    buffer, anything else (the test's servers, pytest) where it went before."""

    def __init__(self, before: TextIO, pick: Callable[[_Call], io.StringIO]) -> None:
        self._before = before
        self._pick = pick

    def write(self, text: str) -> int:
        call = _call_writing()
        return (self._before if call is None else self._pick(call)).write(text)

    def flush(self) -> None:
        if _call_writing() is None:
            self._before.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._before, name)


@contextmanager
def _routed_streams() -> Iterator[None]:
    before = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, _Routed(before[0], lambda call: call.out))
    sys.stderr = cast(TextIO, _Routed(before[1], lambda call: call.err))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before


@contextmanager
def _logging_as_found() -> Iterator[None]:
    """main() configures the root logger as a process would; afterwards it is as it was, so
    calls do not pile up handlers and pytest's own capture of logs comes back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, was in quiet.items():
            logging.getLogger(name).setLevel(was)


def _exit_code(exit_: SystemExit) -> int:
    """As the interpreter turns ``SystemExit`` into a process's exit code."""
    if exit_.code is None:
        return 0
    if isinstance(exit_.code, int):
        return exit_.code
    print(exit_.code, file=sys.stderr)
    return 1


def _run_main(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    global _current
    call = _Call()
    _calling.set(call)  # in the copy of the context asyncio.to_thread runs this in
    with _one_at_a_time, _routed_streams(), _logging_as_found():
        _current = call
        try:
            code = main(argv, environ)
        except SystemExit as exit_:  # argparse: --help, a usage mistake
            code = _exit_code(exit_)
        finally:
            _current = None
    return code, call.out.getvalue(), call.err.getvalue()


async def invoke(*args: str, env: Mapping[str, str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``python -m bot <args>`` run in this process with
    exactly ``env`` as its environment."""
    return await asyncio.to_thread(_run_main, list(args), dict(env))


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``python -m bot <args>`` with ``env`` added."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
