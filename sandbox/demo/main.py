"""``python -m bot demo``: start everything, print the URL and a tour, stop on Ctrl-C.

One process holds the bot, its scheduler, the Slack emulator, the serving stand-in and the
page, all on one event loop; Prometheus, when installed, is its only child. Sockets are
bound before anything starts, so a taken ``PORT`` fails at once with a clear message, and
Prometheus is started before the loop's threads exist (see ``sandbox.demo.prometheus``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import signal
import socket
import tempfile
from contextlib import AsyncExitStack, suppress
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.settings import Environment, SreConfig, load_config
from sandbox.demo.acting import Acting
from sandbox.demo.cast import TOUR
from sandbox.demo.clock import SkippableClock
from sandbox.demo.faults import FaultSwitch
from sandbox.demo.page import PageDeps, create_page_app
from sandbox.demo.prometheus import HOW_TO_GET, DemoPrometheus
from sandbox.demo.wiring import build_bot
from sandbox.serving.standin import StandinState, create_standin_app
from sandbox.slack import SlackDriver, SlackEmulator
from storage import migrate

log = logging.getLogger(__name__)

DEMO_CONFIG = Path(__file__).with_name("sre.yaml")
DEMO_CHANNELS = {"C0INCIDENTS": "incidents", "C0ONCALL": "oncall", "C0SLO": "slo-digest"}
TRAFFIC_PER_SECOND = 20.0
EXIT_PORT_TAKEN = 3


def _bound(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def run_demo(*, port: int, host: str = "127.0.0.1", verbose: bool = False) -> int:
    """The whole demo; returns the process exit code. Leaves no file and no process behind."""
    if not verbose:
        logging.getLogger().setLevel(logging.WARNING)
    try:
        page_sock = _bound(host, port)
    except OSError as exc:
        print(f"demo: cannot listen on {host}:{port} ({exc.strerror}); set PORT to a free port")
        return EXIT_PORT_TAKEN
    standin_sock = _bound("127.0.0.1", 0)
    workdir = Path(tempfile.mkdtemp(prefix="artisan-sre-demo-"))
    prometheus: DemoPrometheus | None = None
    try:
        config = load_config(DEMO_CONFIG)
        database_url = f"sqlite:///{workdir / 'demo.db'}"
        migrate.upgrade(database_url)
        standin_port = standin_sock.getsockname()[1]
        prometheus = DemoPrometheus.start(
            workdir=workdir / "prometheus", target=f"127.0.0.1:{standin_port}"
        )
        demo = _Demo(
            config=config,
            database_url=database_url,
            page_sock=page_sock,
            standin_sock=standin_sock,
            prometheus=prometheus,
            workdir=workdir,
        )
        return asyncio.run(demo.serve())
    except KeyboardInterrupt:  # a Ctrl-C before the loop took over the signals
        return 130
    finally:
        if prometheus is not None:
            prometheus.stop()
        page_sock.close()
        standin_sock.close()
        shutil.rmtree(workdir, ignore_errors=True)
        print("demo: stopped; nothing left running.", flush=True)


class _Demo:
    def __init__(
        self,
        *,
        config: SreConfig,
        database_url: str,
        page_sock: socket.socket,
        standin_sock: socket.socket,
        prometheus: DemoPrometheus | None,
        workdir: Path,
    ) -> None:
        self.config = config
        self.database_url = database_url
        self.page_sock = page_sock
        self.standin_sock = standin_sock
        self.prometheus = prometheus
        self.workdir = workdir

    async def serve(self) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with AsyncExitStack() as stack:
            clock = SkippableClock()
            emulator = SlackEmulator(clock=clock, channels=DEMO_CHANNELS)
            await emulator.start()
            stack.push_async_callback(emulator.stop)
            standin_url = await self._start_standin(stack, clock)
            secret = secrets.token_hex(16)
            env = Environment(
                SLACK_BOT_TOKEN=emulator.bot_token,
                SLACK_SIGNING_SECRET=secret,
                SLACK_APP_TOKEN=None,
                SLACK_API_URL=emulator.api_url,
                DATABASE_URL=self.database_url,
                REDIS_URL=None,
                PROMETHEUS_URL=self.prometheus.url if self.prometheus else None,
                SERVING_URL=standin_url,
                ALERTMANAGER_TOKEN=secrets.token_hex(16),
                SRE_CONFIG=str(DEMO_CONFIG),
            )
            bot = build_bot(env, self.config, clock=clock)
            stack.push_async_callback(bot.container.close)
            bot_url = await _serve_app(stack, bot.web_app, _bound("127.0.0.1", 0))
            bot.container.start_delivery()
            await bot.scheduler.start()
            stack.push_async_callback(bot.scheduler.stop)
            session = await stack.enter_async_context(aiohttp.ClientSession())
            driver = SlackDriver(app_url=bot_url, signing_secret=secret, emulator=emulator)
            stack.push_async_callback(driver.close)
            deps = PageDeps(
                config=self.config,
                clock=clock,
                emulator=emulator,
                acting=Acting(driver=driver, emulator=emulator),
                faults=FaultSwitch(standin_url=standin_url, session=session),
                tick_now=bot.tick_now,
                prometheus_url=self.prometheus.url if self.prometheus else None,
            )
            page_url = await _serve_app(stack, create_page_app(deps), self.page_sock)
            self._banner(page_url, standin_url)
            if self.prometheus is not None:
                stack.push_async_callback(_cancel, loop.create_task(self._prometheus_ready()))
            await stop.wait()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)  # a second Ctrl-C interrupts the shutdown
            print("\ndemo: stopping…", flush=True)
        return 0

    async def _start_standin(self, stack: AsyncExitStack, clock: SkippableClock) -> str:
        state = StandinState(clock=clock, traffic_per_second=TRAFFIC_PER_SECOND)
        return await _serve_app(stack, create_standin_app(state), self.standin_sock)

    async def _prometheus_ready(self) -> None:
        assert self.prometheus is not None
        if await self.prometheus.wait_ready():
            print(f"demo: Prometheus is scraping the stand-in at {self.prometheus.url}", flush=True)

    def _banner(self, page_url: str, standin_url: str) -> None:
        prometheus = (
            f"scraping the stand-in every 5 s ({self.prometheus.url})"
            if self.prometheus
            else HOW_TO_GET
        )
        steps = "\n".join(f"  {n}. {step}" for n, step in enumerate(TOUR, start=1))
        print(
            "\nArtisan SRE bot: the demo is running. No Slack account, no network.\n\n"
            f"  Open {page_url} in your browser.   Ctrl-C stops everything.\n\n"
            f"  Slack        an emulated workspace (#incidents, #oncall, #slo-digest)\n"
            f"  Serving      the stand-in at {standin_url}, 20 simulated requests/s\n"
            f"  Prometheus   {prometheus}\n"
            f"  Database     SQLite in {self.workdir} (removed on exit)\n\n"
            f"A short tour:\n{steps}\n",
            flush=True,
        )


async def _serve_app(stack: AsyncExitStack, app: web.Application, sock: socket.socket) -> str:
    """Serve ``app`` on an already bound socket until the stack unwinds; its base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.SockSite(runner, sock).start()
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{port}"


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
