"""The Web API client: one HTTP session, and its kept-alive connections, for every call.

Given no session, slack_sdk opens one per call and closes it after: a TCP connection (and
against Slack a TLS handshake) for every message, which was most of what a posted card cost
the bot. The session is opened at the first call, in the event loop that makes it (a CLI
command's loop ends with the command), and bounded by the client's timeout as slack_sdk's
own sessions are.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient


class SlackWebClient(AsyncWebClient):
    """``AsyncWebClient`` that keeps its HTTP session between calls; ``close()`` ends it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._session_loop: asyncio.AbstractEventLoop | None = None

    def shared_session(self) -> aiohttp.ClientSession:
        """The session of the running event loop, opened on first use."""
        loop = asyncio.get_running_loop()
        if self.session is None or self.session.closed or self._session_loop is not loop:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._session_loop = loop
        return self.session

    async def _request(self, *, http_verb: str, api_url: str, req_args: dict[str, Any]) -> Any:
        self.shared_session()
        return await super()._request(http_verb=http_verb, api_url=api_url, req_args=req_args)

    async def close(self) -> None:
        """Close the session (its connections), if this loop opened one."""
        session, self.session = self.session, None
        if session is not None and self._session_loop is asyncio.get_running_loop():
            await session.close()
        self._session_loop = None


def session_of(client: AsyncWebClient) -> aiohttp.ClientSession | None:
    """The session a webhook post (a ``response_url``) may share with ``client``, if any."""
    if isinstance(client, SlackWebClient):
        return client.shared_session()
    return None
