"""The long-running processes: ``serve`` (HTTP or Socket Mode) and ``scheduler``."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import Container

log = logging.getLogger(__name__)


async def serve(
    container: Container,
    *,
    host: str = "0.0.0.0",
    port: int,
    with_scheduler: bool = False,
    worker: int | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT; Socket Mode when ``SLACK_APP_TOKEN`` is set; the
    scheduler's duties in the same process when asked (the default without Redis).

    ``worker``: this process is one of ``serve --workers``, sharing the port (SO_REUSEPORT).
    """
    env = container.env
    bolt = container.bolt_app()
    socket_mode = None
    site_runner = web.AppRunner(
        container.web_app(None if env.SLACK_APP_TOKEN else bolt), access_log=None
    )
    await site_runner.setup()
    await web.TCPSite(site_runner, host, port, reuse_port=worker is not None).start()
    as_worker = "" if worker is None else f" (worker {worker}, pid {os.getpid()})"
    log.info("listening on %s:%s%s", host, port, as_worker)
    if env.SLACK_APP_TOKEN:
        socket_mode = AsyncSocketModeHandler(bolt, env.SLACK_APP_TOKEN)
        await socket_mode.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode")
    container.start_workers()
    runner = container.scheduler_runner() if with_scheduler else None
    if runner is not None:
        await runner.start()
    try:
        await until_stopped()
    finally:
        if runner is not None:
            await runner.stop()
        if socket_mode is not None:
            await socket_mode.close_async()  # type: ignore[no-untyped-call]
        await site_runner.cleanup()
        await container.close()


async def run_scheduler(container: Container) -> None:
    """``python -m bot scheduler``: one of possibly several scheduler processes."""
    runner = container.scheduler_runner()
    container.start_workers()
    await runner.start()
    try:
        await until_stopped()
    finally:
        await runner.stop()
        await container.close()


async def until_stopped() -> None:
    """Return when the process is asked to stop (SIGTERM, or SIGINT from a terminal)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
