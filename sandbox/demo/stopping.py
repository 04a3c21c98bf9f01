"""Ctrl-C in the demo: the first stops everything in order, a second one forces the exit, and
either way the process is gone within ``FORCE_AFTER`` seconds, its folder removed.

In order: the servers, the scheduler and the outbox stop, then every task still running is
cancelled once and waited for (``settle``), so the event loop's own end has nothing left to
cancel a second time (docs/decisions.md, "SQLite: the lock queue is bounded by SQLite").
Forced: the demo's clean-up runs (Prometheus killed, the folder removed) and the process
exits at once, whatever its event loop is doing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable

FORCE_AFTER = 8.0
"""Seconds an orderly stop may take before it is forced: the promise is 10 s, and a stop
takes about one."""
EXIT_SECOND_CTRL_C = 130
EXIT_TOO_SLOW = 1
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopping:
    """Owns the demo's answer to SIGINT and SIGTERM from its event loop's start to the exit."""

    def __init__(self, *, clean_up: Callable[[], None], force_after: float = FORCE_AFTER) -> None:
        self._clean_up = clean_up
        self._force_after = force_after
        self._requested: asyncio.Event | None = None
        self._deadline: threading.Timer | None = None
        self._forcing = threading.Lock()

    def watch(self, loop: asyncio.AbstractEventLoop) -> asyncio.Event:
        """From now on a signal sets the returned event (the first) or forces (the second)."""
        self._requested = asyncio.Event()
        for sig in SIGNALS:
            loop.add_signal_handler(sig, self._signalled)
        return self._requested

    def after_loop(self) -> None:
        """Once the event loop is closed (its handlers with it), a signal forces."""
        for sig in SIGNALS:
            signal.signal(sig, lambda _sig, _frame: self.force_now())

    def finished(self) -> None:
        """The orderly stop is done: no deadline any more."""
        if self._deadline is not None:
            self._deadline.cancel()

    def force_now(self) -> None:
        self._force("demo: a second Ctrl-C: stopping at once.", EXIT_SECOND_CTRL_C)

    def _signalled(self) -> None:
        if self._requested is None or self._requested.is_set():
            self.force_now()
            return
        self._requested.set()
        print("\ndemo: stopping… (Ctrl-C again to force)", flush=True)
        # A thread, not the event loop: the deadline must hold even if the loop never returns.
        self._deadline = threading.Timer(self._force_after, self._too_slow)
        self._deadline.daemon = True
        self._deadline.start()

    def _too_slow(self) -> None:
        self._force(
            f"demo: still stopping after {self._force_after:g} s: stopping at once.", EXIT_TOO_SLOW
        )

    def _force(self, message: str, code: int) -> None:
        if not self._forcing.acquire(blocking=False):
            return  # already forcing, from the other thread
        print(message, flush=True)
        try:
            self._clean_up()
            print("demo: stopped; nothing left running.", flush=True)
        finally:
            os._exit(code)


async def settle() -> None:
    """Cancel once each task still running, leave those already cancelled to finish, and
    wait for them all: what the event loop's end would otherwise cancel (again)."""
    me = asyncio.current_task()
    while left := [task for task in asyncio.all_tasks() if task is not me and not task.done()]:
        for task in left:
            if not task.cancelling():
                task.cancel()
        await asyncio.wait(left)
