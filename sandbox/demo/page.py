"""The sandbox page's server: the page itself, the emulated workspace as JSON, live updates
(server-sent events), and what a person does there (through ``Acting``: Slack-signed HTTP).

Routes, all under the page's own port:
``GET /`` the page · ``GET /_sandbox/state`` the workspace (the emulator's own JSON) ·
``GET /_sandbox/demo`` people, channels, clock, faults, Prometheus · ``GET /_sandbox/events``
a "changed" event whenever something moved · ``GET /_sandbox/files/{id}`` an uploaded file ·
``POST /_sandbox/act/{line,click,submit,close}`` · ``POST /_sandbox/time`` ·
``POST``/``DELETE /_sandbox/faults``. Only the page itself may use them
(``sandbox.demo.guard``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.settings import SreConfig
from sandbox.demo import timeskip
from sandbox.demo.acting import Acting, Refused
from sandbox.demo.cast import SUGGESTIONS, TOUR, cast
from sandbox.demo.clock import SkippableClock
from sandbox.demo.faults import FAULTS, FaultSwitch
from sandbox.demo.guard import only_this_page
from sandbox.demo.prometheus import HOW_TO_GET
from sandbox.slack import SlackEmulator
from sandbox.slack.wire import sandbox_state

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
CHANNEL_ORDER = ("C0INCIDENTS", "C0ONCALL", "C0SLO")
PUSH_EVERY = 0.2  # seconds between looks for a change, per open page
Json = dict[str, Any]


@dataclass
class PageDeps:
    """What the page server works with; all built and owned by ``sandbox.demo.main``."""

    config: SreConfig
    clock: SkippableClock
    emulator: SlackEmulator
    acting: Acting
    faults: FaultSwitch
    tick_now: Callable[[], Awaitable[object]]
    prometheus_url: str | None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    changes: int = 0  # bumped by every page action, so open pages refresh

    def revision(self) -> list[int]:
        ws = self.emulator.workspace
        offset = int(self.clock.offset.total_seconds())
        return [len(ws.calls), len(ws.responses), len(ws.ephemerals), self.changes, offset]


def create_page_app(deps: PageDeps) -> web.Application:
    app = web.Application(client_max_size=1024**2, middlewares=[only_this_page])
    routes = _Routes(deps)
    app.router.add_get("/", routes.index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/_sandbox/state", routes.state)
    app.router.add_get("/_sandbox/demo", routes.demo)
    app.router.add_get("/_sandbox/events", routes.events)
    app.router.add_get("/_sandbox/files/{file_id}", routes.file)
    app.router.add_post("/_sandbox/act/{what}", routes.act)
    app.router.add_post("/_sandbox/time", routes.skip_time)
    app.router.add_post("/_sandbox/faults", routes.inject_fault)
    app.router.add_delete("/_sandbox/faults", routes.clear_faults)
    app.on_shutdown.append(routes.stop_streams)
    return app


class _Routes:
    def __init__(self, deps: PageDeps) -> None:
        self.deps = deps

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response(sandbox_state(self.deps.emulator.workspace))

    async def demo(self, request: web.Request) -> web.Response:
        deps = self.deps
        now = deps.clock.now()
        channels = deps.emulator.channels
        try:
            active = await deps.faults.current()
        except Exception as exc:  # the stand-in is ours, but say so rather than fail the page
            active = {"error": f"stand-in unreachable: {type(exc).__name__}"}
        body = {
            "bot_user": deps.emulator.identity.bot_user_id,
            "channels": [{"id": c, "name": channels[c]} for c in CHANNEL_ORDER if c in channels],
            "people": [asdict(p) for p in cast(deps.config, deps.emulator.users)],
            "suggestions": [asdict(s) for s in SUGGESTIONS],
            "tour": list(TOUR),
            "clock": {
                "now": now.isoformat(),
                "offset_seconds": deps.clock.offset.total_seconds(),
                "timezone": deps.config.timezone,
                "skips": [
                    {"skip": t.skip.value, "label": t.label, "at": t.at.isoformat()}
                    for t in timeskip.targets(now, deps.config)
                ],
            },
            "faults": {
                "offered": [asdict(f) for f in FAULTS],
                "active": active,
            },
            "prometheus": {"url": deps.prometheus_url, "how_to_get": HOW_TO_GET},
            "revision": deps.revision(),
        }
        return web.json_response(body)

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: ``changed`` with the revision whenever it moves."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        last: list[int] | None = None
        idle = 0.0
        try:
            while not self.deps.stopping.is_set():
                revision = self.deps.revision()
                if revision != last:
                    await response.write(
                        f"event: changed\ndata: {json.dumps(revision)}\n\n".encode()
                    )
                    last, idle = revision, 0.0
                elif idle >= 15:
                    await response.write(b": still here\n\n")
                    idle = 0.0
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.deps.stopping.wait(), PUSH_EVERY)
                idle += PUSH_EVERY
        except (ConnectionResetError, ConnectionError):
            pass  # the page went away
        return response

    async def stop_streams(self, app: web.Application) -> None:
        self.deps.stopping.set()

    async def file(self, request: web.Request) -> web.Response:
        upload = self.deps.emulator.workspace.uploads.get(request.match_info["file_id"])
        if upload is None or upload.content is None:
            raise web.HTTPNotFound(text="no such file")
        kind = "image/png" if upload.filename.endswith(".png") else "application/octet-stream"
        return web.Response(body=upload.content, content_type=kind)

    async def act(self, request: web.Request) -> web.Response:
        body = await _json(request)
        acting = self.deps.acting
        what = request.match_info["what"]
        try:
            if what == "line":
                done = await acting.type_line(
                    user=_text(body, "user"),
                    channel=_text(body, "channel"),
                    line=_text(body, "line"),
                    thread_ts=body.get("thread_ts") or None,
                )
            elif what == "click":
                done = await acting.click(
                    user=_text(body, "user"),
                    channel=_text(body, "channel"),
                    ts=_text(body, "ts"),
                    action_id=_text(body, "action_id"),
                    value=body.get("value"),
                )
            elif what == "submit":
                values = body.get("values")
                if not isinstance(values, dict):
                    raise Refused("values must be an object of block_id → action_id → state")
                done = await acting.submit(
                    user=_text(body, "user"), view_id=_text(body, "view_id"), values=values
                )
            elif what == "close":
                acting.close(view_id=_text(body, "view_id"))
                done = "closed"
            else:
                raise web.HTTPNotFound(text=f"no action {what!r}")
        except Refused as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=409)
        finally:
            self.deps.changes += 1
        return web.json_response({"ok": True, "done": done})

    async def skip_time(self, request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            skip = timeskip.Skip(_text(body, "skip"))
        except ValueError:
            choices = ", ".join(s.value for s in timeskip.Skip)
            raise web.HTTPBadRequest(text=f"skip must be one of {choices}") from None
        deps = self.deps
        try:
            timeskip.move(deps.clock, skip, deps.config)
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        deps.changes += 1
        # The scheduler would find the new work on its next tick; do that tick now.
        await deps.tick_now()
        deps.changes += 1
        return web.json_response({"ok": True, "now": deps.clock.now().isoformat()})

    async def inject_fault(self, request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            active = await self.deps.faults.inject(_text(body, "fault"))
        except KeyError:
            raise web.HTTPBadRequest(text="unknown fault") from None
        self.deps.changes += 1
        return web.json_response({"ok": True, "active": active})

    async def clear_faults(self, request: web.Request) -> web.Response:
        active = await self.deps.faults.clear()
        self.deps.changes += 1
        return web.json_response({"ok": True, "active": active})


async def _json(request: web.Request) -> Json:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="send a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="send a JSON object")
    return body


def _text(body: Json, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise web.HTTPBadRequest(text=f"{key} is required")
    return value
