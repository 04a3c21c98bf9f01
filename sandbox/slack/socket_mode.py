"""Socket Mode: ``apps.connections.open`` hands out a one-use WebSocket URL, and over that
socket the emulator plays Slack: ``hello`` first, then envelopes the app must ack.

A test sends a slash command over the socket and gets the app's ack back; what the app
does next (a response_url post, a Web API call) is recorded as it is over HTTP. ``drop``
closes every connection, as Slack does when it goes away.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass

from aiohttp import WSCloseCode, WSMsgType, web

from sandbox.slack.records import JsonDict
from sandbox.slack.workspace import Args, Method, Workspace

OPEN = "apps.connections.open"
APP_LEVEL = frozenset({OPEN})
"""Methods called with the app-level token (``xapp-``), not the bot token."""


@dataclass(frozen=True)
class SocketAck:
    """The app's answer to one envelope: its ``payload`` ({} for a bare ack)."""

    envelope_id: str
    payload: JsonDict
    response_url: str | None = None


class SocketMode:
    """Connections the app opened, and the envelopes waiting for their ack."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[JsonDict]] = {}

    def methods(self) -> dict[str, Method]:
        return {OPEN: self._open}

    @property
    def open(self) -> int:
        """Connections open now."""
        return len(self._sockets)

    def _open(self, workspace: Workspace, args: Args) -> JsonDict:
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        ws_base = workspace.base_url.replace("http://", "ws://", 1)
        return {"url": f"{ws_base}/link/?ticket={ticket}"}

    async def connection(self, request: web.Request) -> web.StreamResponse:
        """``GET /link/?ticket=…``: each URL is good for one connection, as Slack's are."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse()  # answers the app's pings itself
        await socket.prepare(request)
        self._sockets.append(socket)
        try:
            await socket.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "sandbox", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self._workspace.identity.app_id},
                }
            )
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._acked(message.data)
        finally:
            self._sockets.remove(socket)
        return socket

    def _acked(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except json.JSONDecodeError:
            self._workspace.violations.append(f"Socket Mode: not JSON: {data[:200]!r}")
            return
        future = self._acks.get(str(ack.get("envelope_id")))
        if future is None:
            self._workspace.violations.append(f"Socket Mode: ack of no envelope: {data[:200]!r}")
        elif not future.done():
            future.set_result(ack.get("payload") or {})

    async def send(self, kind: str, payload: JsonDict, *, within: float) -> SocketAck:
        """One envelope on the newest connection; the app's ack, within ``within`` seconds."""
        if not self._sockets:
            raise LookupError("no app is connected over Socket Mode")
        envelope_id = str(uuid.uuid4())
        acked: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = acked
        try:
            await self._sockets[-1].send_json(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "accepts_response_payload": kind != "events_api",
                    "payload": payload,
                }
            )
            answer = await asyncio.wait_for(acked, within)
        finally:
            self._acks.pop(envelope_id, None)
        return SocketAck(envelope_id, answer, payload.get("response_url"))

    async def drop(self) -> None:
        """Close every connection (Slack going away); the app must open a new one."""
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY)
