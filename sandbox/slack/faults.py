"""Scripted bad days: what the emulator does instead of (or after) an ordinary answer.

Two kinds of trouble. *Refusals* answer before any work (429 ``ratelimited``, an error,
an outage's 503). *Aftermath* comes once a method's work is done: hooks run, the answer
is stalled, or an error is answered although the message was posted. Waits end early
when the scenario is lifted (``restore`` wakes hung calls; ``clear`` wakes every wait),
so a test never sits out a long hang it has finished with.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from sandbox.slack.records import JsonDict, RecordedCall

CallHook = Callable[[RecordedCall, JsonDict], Awaitable[None]]
"""Run after a method's work and before its answer: ``hook(call, result)``."""

AFTER_WORK_ERRORS = {200: "fatal_error", 503: "service_unavailable"}
"""The error an after-work failure answers with, by status; otherwise ``internal_error``."""


@dataclass(frozen=True)
class Fault:
    """A refusal before any work: ``retry_after`` set means HTTP 429 ``ratelimited``."""

    error: str
    retry_after: int | None = None


class _Release:
    """Sleeps that end early when released, as a hung server does when it recovers."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        event = self._event  # a release swaps the event, so hold on to the one we wait on
        with suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    def release(self) -> None:
        self._event.set()
        self._event = asyncio.Event()


class Faults:
    """Everything scripted to go wrong, per Web API method, plus the Slack-wide modes."""

    def __init__(self) -> None:
        self._hung = _Release()
        self._stalled = _Release()
        self.held = 0  # calls waiting in a hang right now
        self.clear()

    # ----- Slack-wide: outage and hang

    def outage(self) -> None:
        self.out = True

    def hang(self, seconds: float) -> None:
        self.hang_seconds = float(seconds)

    def restore(self) -> None:
        """End the outage and the hang; calls waiting in the hang go on at once."""
        self.out = False
        self.hang_seconds = 0.0
        self._hung.release()

    async def hold(self) -> None:
        """While Slack hangs, wait before processing a call."""
        if self.hang_seconds > 0:
            self.held += 1
            try:
                await self._hung.sleep(self.hang_seconds)
            finally:
                self.held -= 1

    # ----- per method: refusals before the work

    def refuse(self, method: str, fault: Fault, times: int) -> None:
        self._refusals.setdefault(method, deque()).extend([fault] * times)

    def refuse_until_lifted(self, method: str, fault: Fault) -> None:
        self._refused_until_lifted[method] = fault

    def lift(self, method: str) -> None:
        self._refused_until_lifted.pop(method, None)

    def take_refusal(self, method: str) -> Fault | None:
        queue = self._refusals.get(method)
        return queue.popleft() if queue else self._refused_until_lifted.get(method)

    # ----- per method: aftermath of work done

    def stall(self, method: str, seconds: float, times: int) -> None:
        self._stalls.setdefault(method, deque()).extend([float(seconds)] * times)

    def fail_after_work(self, method: str, status: int, times: int) -> None:
        self._failures.setdefault(method, deque()).extend([int(status)] * times)

    def take_failure(self, method: str) -> tuple[int, str] | None:
        """The status and error to answer instead of the result, if one is queued."""
        queue = self._failures.get(method)
        if not queue:
            return None
        status = queue.popleft()
        return status, AFTER_WORK_ERRORS.get(status, "internal_error")

    async def delay_answer(self, method: str) -> None:
        """Hold back the answer if a stall is queued for ``method``."""
        queue = self._stalls.get(method)
        if queue:
            await self._stalled.sleep(queue.popleft())

    def on_call(self, method: str, hook: CallHook) -> None:
        self._hooks.setdefault(method, []).append(hook)

    def hooks_for(self, method: str) -> list[CallHook]:
        return list(self._hooks.get(method, []))

    def clear_hooks(self) -> None:
        self._hooks: dict[str, list[CallHook]] = {}

    # ----- all of it

    def clear(self) -> None:
        """No faults, no hooks, no outage or hang; every waiting call goes on at once."""
        self._refusals: dict[str, deque[Fault]] = {}
        self._refused_until_lifted: dict[str, Fault] = {}
        self._stalls: dict[str, deque[float]] = {}
        self._failures: dict[str, deque[int]] = {}
        self.clear_hooks()
        self.restore()
        self._stalled.release()
