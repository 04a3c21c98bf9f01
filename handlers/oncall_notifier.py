"""The on-call user group in Slack, kept equal to who is on call."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient


class SlackOncallNotifier:
    def __init__(self, *, client: AsyncWebClient) -> None:
        self._client = client

    async def user_group(self, group_id: str, members: list[str]) -> None:
        await self._client.usergroups_users_update(usergroup=group_id, users=members)
