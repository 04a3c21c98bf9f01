"""A TCP proxy for fault tests: put it between the bot and PostgreSQL or Redis, then stall
or cut the connection as a bad network would.

- ``passing()``: bytes flow both ways (the default);
- ``stall()``: connections are accepted, nothing is forwarded either way (the bytes wait);
  ``passing()`` again lets them through, as after a stalled switch or a paused database;
- ``cut()``: every open connection is closed and new ones are closed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, *, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._cut = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._handlers: set[asyncio.Task[object]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def passing(self) -> None:
        self._cut = False
        self._flowing.set()

    def stall(self) -> None:
        self._flowing.clear()

    def cut(self) -> None:
        self._cut = True
        self._flowing.set()
        for writer in list(self._writers):
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut()  # wakes every connection waiting on a stall, and ends it
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._handlers, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.close()
            return
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
            handler.add_done_callback(self._handlers.discard)
        self._writers.add(writer)
        try:
            await self._flowing.wait()  # a stalled proxy accepts, and connects nowhere yet
            if self._cut:
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
            except OSError:
                return
            self._writers.add(up_writer)
            pipes = [
                asyncio.ensure_future(self._pipe(reader, up_writer)),
                asyncio.ensure_future(self._pipe(up_reader, writer)),
            ]
            for pipe in pipes:
                self._tasks.add(pipe)
                pipe.add_done_callback(self._tasks.discard)
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            for pipe in pipes:
                pipe.cancel()
            up_writer.close()
            self._writers.discard(up_writer)
        finally:
            writer.close()
            self._writers.discard(writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(_CHUNK):
                await self._flowing.wait()
                if self._cut:
                    return
                writer.write(data)
                await writer.drain()


@asynccontextmanager
async def proxy_to(host: str, port: int) -> AsyncIterator[TcpProxy]:
    """A running proxy to ``host:port`` for the length of the block."""
    proxy = TcpProxy(target_host=host, target_port=port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
