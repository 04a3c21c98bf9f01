"""The emulator's Socket Mode: a URL from ``apps.connections.open`` (app token only) opens
one connection, which greets with ``hello`` and carries envelopes the app acks."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import SlackEmulator


async def test_a_socket_url_needs_the_app_token_and_serves_one_connection() -> None:
    async with SlackEmulator() as emulator, aiohttp.ClientSession() as http:
        client = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
        with pytest.raises(SlackApiError) as refused:
            await client.apps_connections_open(app_token=emulator.bot_token)
        assert refused.value.response["error"] == "invalid_auth"

        url = str((await client.apps_connections_open(app_token=emulator.app_token))["url"])
        async with http.ws_connect(url) as socket:
            assert (await socket.receive_json())["type"] == "hello"
            assert emulator.sockets_open == 1
            sending = asyncio.create_task(
                emulator.slash_over_socket("/oncall", "help", user="U0AAA")
            )
            envelope = await socket.receive_json()
            assert envelope["type"] == "slash_commands"
            assert envelope["payload"]["command"] == "/oncall"
            await socket.send_json({"envelope_id": envelope["envelope_id"], "payload": {"a": 1}})
            assert (await sending).payload == {"a": 1}

        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(url)  # each URL is good once, as Slack's are
        assert emulator.violations == []


async def test_a_method_refused_until_lifted() -> None:
    async with SlackEmulator() as emulator:
        client = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
        emulator.fail_until_lifted("apps.connections.open", "service_unavailable")
        for _ in range(3):
            with pytest.raises(SlackApiError):
                await client.apps_connections_open(app_token=emulator.app_token)
        emulator.lift("apps.connections.open")
        assert (await client.apps_connections_open(app_token=emulator.app_token))["ok"]
        with pytest.raises(LookupError):  # nobody connected to send to
            await emulator.slash_over_socket("/oncall", "help", user="U0AAA")
