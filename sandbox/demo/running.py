"""The demo's parts, started together on one event loop and stopped in reverse order: the
Slack emulator, the serving stand-in with its traffic, the bot with its outbox and
scheduler, and the sandbox page. ``main`` runs them until Ctrl-C; a test runs them on a
clock it chose."""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.settings import Environment, SreConfig
from sandbox.demo.acting import Acting
from sandbox.demo.clock import SkippableClock
from sandbox.demo.faults import FaultSwitch
from sandbox.demo.page import PageDeps, create_page_app
from sandbox.demo.wiring import Bot, build_bot
from sandbox.serving.standin import StandinState, create_standin_app
from sandbox.slack import SlackDriver, SlackEmulator
from sandbox.slack.emulator import DEFAULT_USERS

DEMO_CONFIG = Path(__file__).with_name("sre.yaml")
DEMO_CHANNELS = {"C0INCIDENTS": "incidents", "C0ONCALL": "oncall", "C0SLO": "slo-digest"}
TRAFFIC_PER_SECOND = 20.0


@dataclass(frozen=True)
class RunningDemo:
    """What a running demo is made of, for its banner and for tests."""

    clock: SkippableClock
    emulator: SlackEmulator
    bot: Bot
    page_url: str
    standin_url: str


@asynccontextmanager
async def running_demo(
    *,
    config: SreConfig,
    clock: SkippableClock,
    database_url: str,
    page_sock: socket.socket,
    standin_sock: socket.socket,
    prometheus_url: str | None,
) -> AsyncIterator[RunningDemo]:
    """Every part started (the database already migrated); all stopped on the way out."""
    async with AsyncExitStack() as stack:
        emulator = SlackEmulator(
            clock=clock, channels=DEMO_CHANNELS, users={**DEFAULT_USERS, **config.people}
        )
        await emulator.start()
        stack.push_async_callback(emulator.stop)
        state = StandinState(clock=clock, traffic_per_second=TRAFFIC_PER_SECOND)
        standin_url = await serve_app(stack, create_standin_app(state), standin_sock)
        secret = secrets.token_hex(16)
        env = Environment(
            SLACK_BOT_TOKEN=emulator.bot_token,
            SLACK_SIGNING_SECRET=secret,
            SLACK_APP_TOKEN=None,
            SLACK_API_URL=emulator.api_url,
            DATABASE_URL=database_url,
            REDIS_URL=None,
            PROMETHEUS_URL=prometheus_url,
            SERVING_URL=standin_url,
            ALERTMANAGER_TOKEN=secrets.token_hex(16),
            SRE_CONFIG=str(DEMO_CONFIG),
        )
        bot = build_bot(env, config, clock=clock)
        stack.push_async_callback(bot.container.close)
        bot_url = await serve_app(stack, bot.web_app, bound("127.0.0.1", 0))
        bot.container.start_workers()
        await bot.scheduler.start()
        stack.push_async_callback(bot.scheduler.stop)
        session = await stack.enter_async_context(aiohttp.ClientSession())
        driver = SlackDriver(app_url=bot_url, signing_secret=secret, emulator=emulator)
        stack.push_async_callback(driver.close)
        deps = PageDeps(
            config=config,
            clock=clock,
            emulator=emulator,
            acting=Acting(driver=driver, emulator=emulator),
            faults=FaultSwitch(standin_url=standin_url, session=session),
            tick_now=bot.tick_now,
            prometheus_url=prometheus_url,
        )
        page_url = await serve_app(stack, create_page_app(deps), page_sock)
        yield RunningDemo(
            clock=clock, emulator=emulator, bot=bot, page_url=page_url, standin_url=standin_url
        )


def bound(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: any free port), not yet listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def serve_app(stack: AsyncExitStack, app: web.Application, sock: socket.socket) -> str:
    """Serve ``app`` on an already bound socket until the stack unwinds; its base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.SockSite(runner, sock).start()
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{port}"
