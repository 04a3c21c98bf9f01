"""``POST /alertmanager``: the Alertmanager webhook (payload version 4).

Closed by default: a bearer token (``ALERTMANAGER_TOKEN``) is required unless sre.yaml
opens the intake on purpose. The notification is stored before the answer and worked
after it, so the answer is quick whatever its size and says what this delivery changed.
"""

from __future__ import annotations

import hmac
import json

from aiohttp import web
from pydantic import ValidationError

from bot.alerts.intake import AlertIntake
from bot.alerts.model import AlertNotification

# 1,000 alerts with long annotations fit; Alertmanager's own payloads are far smaller.
MAX_BODY = 5 * 1024**2
CLOSED = (
    "the Alertmanager intake is closed: set ALERTMANAGER_TOKEN (and the same bearer token "
    "in alertmanager.yml), or set alertmanager.open_without_token: true in sre.yaml"
)


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> bytes | None:
    """The body, or None when it is over ``MAX_BODY`` (read no further than that)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_alerts(
    request: web.Request, *, intake: AlertIntake, token: str | None, open_without_token: bool
) -> web.Response:
    """Check the bearer token, parse the payload, store it; 4xx with the reason otherwise."""
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return _problem(401, "missing or wrong bearer token (ALERTMANAGER_TOKEN)")
    elif not open_without_token:
        return _problem(403, CLOSED)
    body = await _body(request)
    if body is None:
        return _problem(413, f"payload over {MAX_BODY // 1024**2} MiB")
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return _problem(400, f"not JSON: {str(exc)[:200]}")
    try:
        notification = AlertNotification.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}"
            for e in exc.errors()[:10]
        )
        return _problem(400, f"not an Alertmanager v4 notification: {problems}")
    if notification.version != "4":
        return _problem(400, f"payload version {notification.version!r} is not supported; 4 is")
    answer = await intake.receive(notification)
    return web.json_response(answer.as_json())
