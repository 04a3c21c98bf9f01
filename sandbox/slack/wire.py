"""The emulator's edges: how Web API arguments arrive, and how state leaves as JSON.

slack_sdk sends JSON bodies, form posts (with parameters sometimes in the query string,
as ``files.getUploadURLExternal`` does) and GETs; other SDKs form-encode nested values
as JSON strings. ``read_args`` merges all of these into one dict, as Slack does.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aiohttp import web

from sandbox.slack.records import ApiError, JsonDict
from sandbox.slack.workspace import Workspace

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip() or None


async def read_args(request: web.Request) -> JsonDict:
    """Query string merged with the body: JSON, form-encoded or multipart, as the SDKs send."""
    args: JsonDict = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return args
    content_type = request.content_type
    if content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ApiError("invalid_json") from exc
            if not isinstance(body, dict):
                raise ApiError("invalid_json")
            args.update(body)
    elif content_type in _FORM_TYPES:
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    else:
        raise ApiError("invalid_post_type")
    return args


async def uploaded_bytes(request: web.Request) -> bytes:
    """The file bytes: the raw body, or the first file part of a multipart form."""
    if request.content_type != "multipart/form-data":
        return await request.read()
    form = await request.post()
    for value in form.values():
        if isinstance(value, web.FileField):
            return value.file.read()
    return b""


def sandbox_state(ws: Workspace) -> dict[str, Any]:
    """Everything the sandbox page shows, JSON-ready (upload bytes reduced to a size)."""
    return {
        "team_id": ws.identity.team_id,
        "channels": ws.channels,
        "users": ws.users,
        "messages": {c: [asdict(m) for m in ms] for c, ms in ws.channel_messages.items()},
        "ephemerals": [asdict(e) for e in ws.ephemerals],
        "responses": [asdict(r) for r in ws.responses],
        "views": [asdict(v) for v in ws.views.values()],
        "uploads": [
            {**asdict(u), "content": None, "size": len(u.content or b"")}
            for u in ws.uploads.values()
        ],
        "violations": ws.violations,
    }
