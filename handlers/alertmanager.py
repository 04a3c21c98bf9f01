"""``POST /alertmanager``: the Alertmanager webhook (payload version 4)."""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict

from aiohttp import web
from pydantic import ValidationError

from bot.alerts.intake import AlertIntake
from bot.alerts.model import AlertNotification

MAX_BODY = 1024**2


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def receive_alerts(
    request: web.Request, *, intake: AlertIntake, token: str | None
) -> web.Response:
    """Check the bearer token, parse the payload, open incidents; 4xx with the reason otherwise."""
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return _problem(401, "missing or wrong bearer token (ALERTMANAGER_TOKEN)")
    body = await request.read()
    if len(body) > MAX_BODY:
        return _problem(413, "payload over 1 MiB")
    try:
        raw = json.loads(body)
    except ValueError as exc:
        return _problem(400, f"not JSON: {exc}")
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
    return web.json_response(asdict(await intake.receive(notification)))
