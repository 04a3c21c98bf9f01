"""``serve --workers N``: N web processes sharing one port, each with its own connections.

Each worker is a whole ``python -m bot serve`` bound with SO_REUSEPORT, so the kernel spreads
Slack's connections across them and a create's CPU runs on whichever core is free. What must
happen once across them already is: outbox posts and alert work are leased in the database,
signatures are remembered in Redis or the database, and only worker 0 runs the scheduler.
Counters and histograms are summed across workers through prometheus_client's multiprocess
directory. A worker that dies is started again; one that cannot stay up stops the service.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.serve import until_stopped

log = logging.getLogger(__name__)

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# A worker that exits sooner than this after starting is failing to start, not crashing.
STARTUP_GRACE = 10.0
MAX_FAILED_STARTS = 3
STOP_WITHIN = 30.0


@dataclass(frozen=True)
class WorkerCommand:
    """What each worker runs: ``python -m bot [--config PATH] serve --as-worker I ...``."""

    config: str | None
    host: str
    with_scheduler: bool
    web_only: bool = False
    # ``--clock-start``, with the wall instant it held at, so every worker reads one clock.
    clock_start: datetime | None = None
    clock_anchor: datetime | None = None

    def argv(self, index: int) -> list[str]:
        argv = [sys.executable, "-m", "bot"]
        if self.config:
            argv += ["--config", self.config]
        argv += ["serve", "--host", self.host, "--as-worker", str(index)]
        if self.web_only:
            argv.append("--web-only")
        if self.clock_start is not None and self.clock_anchor is not None:
            argv += ["--clock-start", self.clock_start.isoformat()]
            argv += ["--clock-anchor", self.clock_anchor.isoformat()]
        if index == 0 and self.with_scheduler and not self.web_only:
            argv.append("--with-scheduler")
        return argv


class Workers:
    """Starts, watches and stops the workers; ``run`` returns the service's exit code."""

    def __init__(self, command: WorkerCommand, *, count: int, environ: Mapping[str, str]) -> None:
        """``environ`` is the environment each worker starts with (the parent's own)."""
        self._command = command
        self._count = count
        self._environ = environ
        self._processes: dict[int, asyncio.subprocess.Process] = {}
        self._stopping = False

    async def run(self) -> int:
        with tempfile.TemporaryDirectory(prefix="artisan-metrics-") as metrics_dir:
            environment = {**self._environ, METRICS_DIR_VARIABLE: metrics_dir}
            watchers = [
                asyncio.create_task(self._keep_running(index, environment))
                for index in range(self._count)
            ]
            stop = asyncio.create_task(until_stopped())
            log.info("serving with %d workers on one port", self._count)
            done, _ = await asyncio.wait([stop, *watchers], return_when=asyncio.FIRST_COMPLETED)
            failed = stop not in done
            self._stopping = True
            await self._stop_all()
            for task in [stop, *watchers]:
                task.cancel()
            await asyncio.gather(stop, *watchers, return_exceptions=True)
        return 1 if failed else 0

    async def _keep_running(self, index: int, environment: dict[str, str]) -> None:
        """Run worker ``index`` until the service stops; returns when it cannot stay up."""
        failed_starts = 0
        while not self._stopping:
            started = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                *self._command.argv(index), env=environment
            )
            self._processes[index] = process
            code = await process.wait()
            # A terminal's Ctrl-C reaches the workers too: give the stop a moment to be seen.
            await asyncio.sleep(1)
            if self._stopping:
                return
            quick = time.monotonic() - started < STARTUP_GRACE
            failed_starts = failed_starts + 1 if quick else 0
            if failed_starts >= MAX_FAILED_STARTS:
                log.error(
                    "worker %d exited %d times in a row within %.0f s of starting (last "
                    "code %s): stopping the service",
                    index,
                    MAX_FAILED_STARTS,
                    STARTUP_GRACE,
                    code,
                )
                return
            log.warning("worker %d exited with code %s; starting it again", index, code)

    async def _stop_all(self) -> None:
        running = [p for p in self._processes.values() if p.returncode is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_WITHIN):
                await asyncio.gather(*(p.wait() for p in running))
        except TimeoutError:
            for process in running:
                if process.returncode is None:
                    log.error("worker %d did not stop in %.0f s: killed", process.pid, STOP_WITHIN)
                    process.kill()
            await asyncio.gather(*(p.wait() for p in running))
