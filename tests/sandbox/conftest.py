"""Fixtures for the sandbox tests: a running emulator, a real slack_sdk client, and a tiny
real bolt AsyncApp served by aiohttp on a loopback port, driven by ``SlackDriver``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import SlackDriver, SlackEmulator

SIGNING_SECRET = "sandbox-signing-secret"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"


def _load_fixture(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / name).read_text())
    found: dict[str, Any] = data.get("payload", data.get("parsed_fields"))
    return found


@pytest.fixture
def slack_fixture() -> Callable[[str], dict[str, Any]]:
    """Load a saved Slack payload by file name (``payload``, or ``parsed_fields`` for forms)."""
    return _load_fixture


@pytest.fixture
def signing_secret() -> str:
    return SIGNING_SECRET


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as emu:
        yield emu


@pytest.fixture
def client(emulator: SlackEmulator) -> AsyncWebClient:
    """The real SDK client; without a session it opens one per call, so nothing to close."""
    return AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)


@dataclass
class TinyApp:
    """What the tiny bolt app received, and where it listens."""

    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)


def build_bolt_app(emulator: SlackEmulator, seen: TinyApp) -> AsyncApp:
    """``/hello`` posts a card with a Wave button; Wave replaces it and opens a modal."""
    web_client = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
    app = AsyncApp(client=web_client, signing_secret=SIGNING_SECRET)

    @app.command("/hello")
    async def hello(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        seen.bodies.append(body)
        await ack(f"hi <@{body['user_id']}>")
        await client.chat_postMessage(
            channel=body["channel_id"],
            text="Hello",
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": "Hello *there*"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "wave",
                            "value": "w1",
                            "text": {"type": "plain_text", "text": "Wave"},
                        }
                    ],
                },
            ],
        )

    @app.action("wave")
    async def wave(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        seen.bodies.append(body)
        await ack()
        await respond(replace_original=True, text=f"Waved by <@{body['user']['id']}>")
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "wave_modal",
                "private_metadata": body["container"]["message_ts"],
                "title": {"type": "plain_text", "text": "Why wave?"},
                "submit": {"type": "plain_text", "text": "Send"},
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "reason",
                        "label": {"type": "plain_text", "text": "Reason"},
                        "element": {"type": "plain_text_input", "action_id": "reason_input"},
                    }
                ],
            },
        )

    @app.view("wave_modal")
    async def wave_modal(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        seen.bodies.append(body)
        reason = view["state"]["values"]["reason"]["reason_input"].get("value") or ""
        if not reason.strip():
            await ack(response_action="errors", errors={"reason": "Say why"})
        else:
            await ack()

    @app.event("app_mention")
    async def mentioned(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        seen.bodies.append(body)
        await client.chat_postMessage(channel=event["channel"], thread_ts=event["ts"], text="yes?")

    return app


@pytest.fixture
async def tiny_app(emulator: SlackEmulator) -> AsyncIterator[TinyApp]:
    seen = TinyApp(url="")
    bolt = build_bolt_app(emulator, seen)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    server = web.Application()
    server.router.add_post("/slack/events", events)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    seen.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield seen
    await runner.cleanup()


@pytest.fixture
async def driver(emulator: SlackEmulator, tiny_app: TinyApp) -> AsyncIterator[SlackDriver]:
    async with SlackDriver(
        app_url=tiny_app.url, signing_secret=SIGNING_SECRET, emulator=emulator
    ) as slack:
        yield slack
