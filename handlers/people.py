"""The workspace's people, asked of Slack (``users.info``): who exists, and their names."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class SlackDirectory:
    """``UserDirectory`` and ``PeopleDirectory`` of the domain (``bot/people.py``).

    Names are kept for the life of the process: a text that names five people asks Slack
    five times once, not every time it is printed. Existence is asked every time, since an
    override must not go to someone deactivated since."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._names: dict[str, str] = {}

    async def exists(self, user_id: str) -> bool:
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                return False
            raise
        user = response.get("user") or {}
        return not user.get("deleted", False)

    async def display_name(self, user_id: str) -> str | None:
        """The name Slack shows for them; None when Slack cannot say (the ID is shown)."""
        if user_id in self._names:
            return self._names[user_id]
        try:
            response = await self._client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            # A name is a courtesy: the text goes out with the ID rather than not at all.
            log.info("no name for %s from users.info: %s", user_id, exc)
            return None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
        if not name:
            return None
        self._names[user_id] = str(name)
        return str(name)
