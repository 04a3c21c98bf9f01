"""The long-running processes: ``serve`` (the door, and in a single-machine install the work
too) and ``worker`` (the work: the inbox, the outbox, alert notifications, runbook runs and
the scheduler's duties).

In Socket Mode the duties never wait on Slack: the outbox, the alert work and the scheduler
start first, and the connection is made (and remade after a drop) by a ``Worker`` whose
backoff and outage log are those of every other background job. /health/ready says
"Slack not connected" until it is.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import WSMessage, web
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Container
from bot.work.worker import Worker
from handlers.slack_door import SlackDoor

log = logging.getLogger(__name__)

# Seconds between the client's pings; four missed pongs make the connection stale.
PING_INTERVAL = 10.0
# One attempt (the URL, then the WebSocket handshake) that has not ended by then failed:
# a Slack that accepts the TCP connection and never answers must not hold the link.
CONNECT_WITHIN = 15.0


class _OneAttemptClient(SocketModeClient):
    """slack_sdk's Socket Mode client without its own reconnecting: its ``connect`` retries
    forever, logging a traceback every ten seconds, and reuses a WebSocket URL that may have
    expired. Here ``connect`` is one attempt that raises, and a reconnect Slack asks for is
    left to ``SocketLink``."""

    def __init__(self, *, lost: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(auto_reconnect_enabled=False, ping_interval=PING_INTERVAL, **kwargs)
        self._lost = lost

    async def connect(self) -> None:
        """A fresh URL from ``apps.connections.open``, then the WebSocket; ConnectionError
        (an outage, logged without a traceback) when Slack refuses or does not answer."""
        try:
            async with asyncio.timeout(CONNECT_WITHIN):
                answer = await self.web_client.apps_connections_open(app_token=self.app_token)
                session = await self.aiohttp_client_session.ws_connect(
                    str(answer["url"]),
                    autoping=False,
                    heartbeat=self.ping_interval,
                    proxy=self.proxy,
                    ssl=self.web_client.ssl if self.web_client.ssl is not None else True,
                )
        except TimeoutError as exc:
            raise ConnectionError(f"no answer within {CONNECT_WITHIN:g}s") from exc
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else exc
            raise ConnectionError(f"apps.connections.open answered {error}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        # The new session first, then the old one closed: no envelope falls between them.
        old, self.current_session = self.current_session, session
        self.stale, self.last_ping_pong_time = False, None
        await session.ping(f"sdk-ping-pong:{time.time()}".encode())
        for task in (self.current_session_monitor, self.message_receiver):
            if task is not None:
                task.cancel()
        self.current_session_monitor = asyncio.ensure_future(self.monitor_current_session())
        self.message_receiver = asyncio.ensure_future(self.receive_messages())
        if old is not None:
            await old.close()

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        """Slack asked for a new connection (a ``disconnect`` message): the link makes it."""
        self.stale = True
        self._lost()

    async def issue_new_wss_url(self) -> str:
        raise NotImplementedError("connect() asks for the URL itself")


class SocketLink:
    """The Socket Mode connection as a ``Job``: a pass connects when not connected. The
    ``Worker`` retries a failed pass with backoff (1 s doubling to 10 s), logs the outage
    once and then every five minutes, and says when Slack answers again."""

    name = "Slack socket"

    def __init__(self, door: SlackDoor, *, client: AsyncWebClient, app_token: str) -> None:
        self._door = door
        self._worker = Worker(self, poll=1.0, dependency="Slack's Socket Mode")
        self._client = _OneAttemptClient(
            lost=self._worker.kick,
            app_token=app_token,
            web_client=client,
            on_close_listeners=[self._closed],
        )
        self._client.socket_mode_request_listeners.append(self._handle)
        self._failing = False

    async def connected(self) -> bool:
        """What /health/ready asks: connected, and the last pong recent."""
        return bool(await self._client.is_connected())

    async def work_due(self) -> int:
        if await self._client.is_connected():
            return 0
        try:
            await self._client.connect()
        except Exception:
            self._failing = True
            raise
        if not self._failing:  # after an outage, the Worker's "answers again" says it
            log.info("connected to Slack in Socket Mode")
        self._failing = False
        return 1

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        """Stop connecting (a pending attempt ends at once), then close the connection."""
        await self._worker.stop()
        await self._client.close()  # type: ignore[no-untyped-call]

    async def _closed(self, message: WSMessage) -> None:
        self._worker.kick()

    async def _handle(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        """Stored (the envelope's ID is its key), then acknowledged, as over HTTP. What the
        door could not store is left unacknowledged, and Slack sends it again."""
        ack = await self._door.take(request.payload, key=f"socket:{request.envelope_id}")
        if ack.status >= 500:
            return
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=ack.body)
        )


async def serve(
    container: Container,
    *,
    host: str = "0.0.0.0",
    port: int,
    with_scheduler: bool = False,
    worker: int | None = None,
    web_only: bool = False,
) -> None:
    """Serve until SIGTERM/SIGINT; Socket Mode when ``SLACK_APP_TOKEN`` is set; the
    scheduler's duties in the same process when asked (the default without Redis).

    ``worker``: this process is one of ``serve --workers``, sharing the port (SO_REUSEPORT).
    ``web_only``: the door alone (verify, store, ack); ``python -m bot worker`` processes
    do the work, through the database.
    """
    env = container.env
    work_here = not web_only
    link = None
    if env.SLACK_APP_TOKEN and container.slack is not None:
        # Known to readiness before the port opens, so it never answers 200 unconnected.
        link = SocketLink(
            container.slack_door(signed=False, work_here=work_here),
            client=container.slack,
            app_token=env.SLACK_APP_TOKEN,
        )
        container.slack_connected = link.connected
    site_runner = web.AppRunner(
        container.web_app(slack=link is None, work_here=work_here), access_log=None
    )
    await site_runner.setup()
    await web.TCPSite(site_runner, host, port, reuse_port=worker is not None).start()
    as_worker = "" if worker is None else f" (worker {worker}, pid {os.getpid()})"
    log.info("listening on %s:%s%s", host, port, as_worker)
    runner = None
    if not web_only:
        container.start_workers()
        runner = container.scheduler_runner() if with_scheduler else None
    if runner is not None:
        await runner.start()
    if link is not None:
        link.start()
    try:
        await until_stopped()
    finally:
        if link is not None:
            await link.stop()
        if runner is not None:
            await runner.stop()
        await site_runner.cleanup()
        await container.close()


async def run_worker(container: Container) -> None:
    """``python -m bot worker``: one of possibly several worker processes. Each works what
    the doors stored (leases keep them apart); one leads the scheduler, the others stand by."""
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
