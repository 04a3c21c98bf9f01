"""``python -m bot serve``: the HTTP (or Socket Mode) process."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.app import Container

log = logging.getLogger(__name__)


async def serve(container: Container, *, host: str = "0.0.0.0", port: int) -> None:
    """Serve until SIGTERM/SIGINT; Socket Mode when ``SLACK_APP_TOKEN`` is set."""
    from handlers.routes import create_bolt_for, create_web_app

    env = container.env
    bolt = create_bolt_for(container)
    socket_mode = None
    web_app = create_web_app(container, None if env.SLACK_APP_TOKEN else bolt)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("listening on %s:%s", host, port)
    if env.SLACK_APP_TOKEN:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket_mode = AsyncSocketModeHandler(bolt, env.SLACK_APP_TOKEN)
        await socket_mode.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if socket_mode is not None:
            await socket_mode.close_async()  # type: ignore[no-untyped-call]
        await runner.cleanup()
        await container.close()
