"""``python -m bot demo``: start everything, print the URL and a tour, stop on Ctrl-C.

One process holds the bot, its scheduler, the Slack emulator, the serving stand-in and the
page, all on one event loop (``sandbox.demo.running``); Prometheus, when installed, is its
only child. Sockets are bound before anything starts, so a taken ``PORT`` fails at once
with a clear message, and Prometheus is started before the loop's threads exist (see
``sandbox.demo.prometheus``). Ctrl-C is ``sandbox.demo.stopping``'s.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import shutil
import socket
import sys
import tempfile
from contextlib import AsyncExitStack, suppress
from pathlib import Path

from bot.settings import SreConfig, load_config
from sandbox.demo.cast import TOUR
from sandbox.demo.clock import SkippableClock
from sandbox.demo.prometheus import HOW_TO_GET, DemoPrometheus
from sandbox.demo.running import DEMO_CONFIG, TRAFFIC_PER_SECOND, RunningDemo, bound, running_demo
from sandbox.demo.stopping import Stopping, settle
from storage import migrate

log = logging.getLogger(__name__)

EXIT_PORT_TAKEN = 3
EXIT_INTERRUPTED = 130
"""A Ctrl-C before the demo was up (it then stops as cleanly, with nothing to stop)."""
FORCED_CLEAN_UP_WITHIN = 0.5
"""Seconds Prometheus gets to stop when the exit is forced (then it is killed)."""


def run_demo(*, port: int, host: str = "127.0.0.1", verbose: bool = False) -> int:
    """The whole demo; returns the process exit code. Leaves no file and no process behind."""
    if not verbose:
        logging.getLogger().setLevel(logging.WARNING)
    try:
        page_sock = bound(host, port)
    except OSError as exc:
        print(f"demo: cannot listen on {host}:{port} ({exc.strerror}); set PORT to a free port")
        return EXIT_PORT_TAKEN
    standin_sock: socket.socket | None = None
    workdir: Path | None = None
    started: list[DemoPrometheus] = []

    def clean_up(within: float) -> None:
        """Stop Prometheus (killed after ``within`` seconds) and remove the demo's folder."""
        for prometheus in started:
            prometheus.stop(within=within)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    stopping = Stopping(clean_up=lambda: clean_up(FORCED_CLEAN_UP_WITHIN))
    try:  # from here on a Ctrl-C, whenever it comes, finds what to remove
        standin_sock = bound("127.0.0.1", 0)
        workdir = Path(tempfile.mkdtemp(prefix="artisan-sre-demo-"))
        config = load_config(DEMO_CONFIG)
        database = workdir / "demo.db"
        migrate.upgrade(f"sqlite:///{database}")
        standin_port = standin_sock.getsockname()[1]
        prometheus = DemoPrometheus.start(
            workdir=workdir / "prometheus", target=f"127.0.0.1:{standin_port}"
        )
        if prometheus is not None:
            started.append(prometheus)
        demo = _Demo(
            config=config,
            database=database,
            page_sock=page_sock,
            standin_sock=standin_sock,
            prometheus=prometheus,
            workdir=workdir,
        )
        return asyncio.run(demo.serve(stopping))
    except KeyboardInterrupt:  # a Ctrl-C before the loop took over the signals
        return EXIT_INTERRUPTED
    finally:
        stopping.after_loop()
        clean_up(within=5.0)
        page_sock.close()
        if standin_sock is not None:
            standin_sock.close()
        print("demo: stopped; nothing left running.", flush=True)
        stopping.finished()


class _Demo:
    def __init__(
        self,
        *,
        config: SreConfig,
        database: Path,
        page_sock: socket.socket,
        standin_sock: socket.socket,
        prometheus: DemoPrometheus | None,
        workdir: Path,
    ) -> None:
        self.config = config
        self.database = database
        self.page_sock = page_sock
        self.standin_sock = standin_sock
        self.prometheus = prometheus
        self.workdir = workdir

    async def serve(self, stopping: Stopping) -> int:
        stop = stopping.watch(asyncio.get_running_loop())
        async with AsyncExitStack() as stack:
            demo = await stack.enter_async_context(
                running_demo(
                    config=self.config,
                    clock=SkippableClock(),
                    database_url=f"sqlite:///{self.database}",
                    page_sock=self.page_sock,
                    standin_sock=self.standin_sock,
                    prometheus_url=self.prometheus.url if self.prometheus else None,
                )
            )
            self._banner(demo)
            if self.prometheus is not None:
                ready = asyncio.get_running_loop().create_task(self._prometheus_ready())
                stack.push_async_callback(_cancel, ready)
            await stop.wait()
        # What the parts left running (a Slack listener, a request cut short) is cancelled
        # once and waited for here, not cancelled again by the event loop's end.
        await settle()
        return 0

    async def _prometheus_ready(self) -> None:
        assert self.prometheus is not None
        if await self.prometheus.wait_ready():
            print(f"demo: Prometheus is scraping the stand-in at {self.prometheus.url}", flush=True)

    def _banner(self, demo: RunningDemo) -> None:
        prometheus = (
            f"scraping the stand-in every 5 s ({self.prometheus.url})"
            if self.prometheus
            else HOW_TO_GET
        )
        steps = "\n".join(f"  {n}. {step}" for n, step in enumerate(TOUR, start=1))
        print(
            "\nArtisan SRE bot: the demo is running. No Slack account, no network.\n\n"
            f"  Open {demo.page_url} in your browser.   Ctrl-C stops everything.\n\n"
            f"  Slack        an emulated workspace (#incidents, #oncall, #slo-digest)\n"
            f"  Serving      the stand-in at {demo.standin_url}, "
            f"{TRAFFIC_PER_SECOND:g} simulated requests/s\n"
            f"  Prometheus   {prometheus}\n"
            f"  Database     SQLite in {self.workdir} (removed on exit)\n\n"
            "The shell on the demo's database, from any terminal:\n"
            f"  {shell_line(self.database)}\n\n"
            f"A short tour:\n{steps}\n",
            flush=True,
        )


def shell_line(database: Path) -> str:
    """``python -m bot incident list`` on the demo's database and policy, ready to paste."""
    settings = {"DATABASE_URL": f"sqlite:///{database}", "SRE_CONFIG": str(DEMO_CONFIG)}
    assigned = " ".join(f"{name}={shlex.quote(value)}" for name, value in settings.items())
    return f"{assigned} {shlex.quote(sys.executable)} -m bot incident list"


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
