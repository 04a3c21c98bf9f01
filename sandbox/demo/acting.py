"""What a person does on the page, done the way Slack does it for them.

Slash commands, clicks and modal submissions go to the bot as Slack-signed HTTP requests
through ``SlackDriver``; a plain message is posted as that person into the emulated
channel; an ack with a body (Slack shows it to the person alone) becomes an ephemeral.
The page never reaches the bot any other way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sandbox.slack import DriverResponse, SlackDriver, SlackEmulator
from sandbox.slack.methods_views import close_view
from sandbox.slack.records import Ephemeral

# The bot's slash commands (slack-manifest.yaml); /oncall is registered with
# should_escape, so Slack turns "@Bob" into "<@U0BBB|bob>" before sending it.
COMMANDS = ("/incident", "/oncall", "/slo", "/runbook", "/health")
ESCAPED_COMMANDS = ("/oncall",)
_MENTION = re.compile(r"@([A-Za-z][\w.-]*)")


class Refused(Exception):
    """Something the page asked for that Slack would not let a person do."""


def slack_escape(text: str) -> str:
    """Slack stores a person's ``&``, ``<`` and ``>`` escaped, so they never act as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Acting:
    """Acts for whoever the page says "you are", through the driver and the emulator."""

    def __init__(self, *, driver: SlackDriver, emulator: SlackEmulator) -> None:
        self._driver = driver
        self._emulator = emulator

    def _known(self, user: str, channel: str | None = None) -> None:
        if user not in self._emulator.users:
            raise Refused(f"unknown person {user!r}")
        if channel is not None and channel not in self._emulator.channels:
            raise Refused(f"unknown channel {channel!r}")

    async def type_line(
        self, *, user: str, channel: str, line: str, thread_ts: str | None = None
    ) -> str:
        """A line typed in the composer: a slash command, or a message to the channel."""
        self._known(user, channel)
        line = line.strip()
        if not line:
            raise Refused("type a message or a slash command")
        if not line.startswith("/"):
            self._emulator.add_user_message(
                channel=channel, user=user, text=slack_escape(line), thread_ts=thread_ts
            )
            return "posted"
        command, _, text = line.partition(" ")
        if command not in COMMANDS:
            self._tell(user, channel, f"`{slack_escape(command)}` is not a valid command.")
            return "unknown command"
        if command in ESCAPED_COMMANDS:
            text = self._escape_mentions(text)
        answer = await self._driver.slash(command, text.strip(), user=user, channel=channel)
        self._show_ack(answer, user=user, channel=channel)
        return f"{command}: HTTP {answer.status}"

    async def click(
        self, *, user: str, channel: str, ts: str, action_id: str, value: str | None
    ) -> str:
        self._known(user, channel)
        try:
            answer = await self._driver.click(
                channel=channel, ts=ts, action_id=action_id, user=user, value=value
            )
        except LookupError as exc:
            raise Refused(str(exc)) from None
        self._show_ack(answer, user=user, channel=channel)
        return f"{action_id}: HTTP {answer.status}"

    async def submit(
        self, *, user: str, view_id: str, values: Mapping[str, Mapping[str, Any]]
    ) -> str:
        self._known(user)
        try:
            view = self._emulator.view(view_id)
            if view.user not in (None, user):
                raise Refused("this form was opened by someone else")
            answer = await self._driver.submit_view(view_id=view_id, values=values, user=user)
        except LookupError as exc:
            raise Refused(str(exc)) from None
        return f"{view.callback_id}: HTTP {answer.status}"

    def close(self, *, view_id: str) -> None:
        """The modal's Cancel: Slack closes it (the bot asks for no view_closed event)."""
        try:
            view = self._emulator.view(view_id)
        except LookupError as exc:
            raise Refused(str(exc)) from None
        if not view.closed:
            close_view(self._emulator.workspace, view, whole_stack=True)

    def _escape_mentions(self, text: str) -> str:
        by_name = {name.lower(): user for user, name in self._emulator.users.items()}

        def linked(match: re.Match[str]) -> str:
            user = by_name.get(match.group(1).lower())
            return f"<@{user}|{match.group(1).lower()}>" if user else match.group(0)

        return _MENTION.sub(linked, text)

    def _show_ack(self, answer: DriverResponse, *, user: str, channel: str) -> None:
        """An ack's body, as Slack shows it: to the person alone."""
        if answer.status != 200:
            self._tell(user, channel, f"The app answered HTTP {answer.status}; nothing happened.")
            return
        body = answer.json()
        if body is None:
            if answer.text.strip():
                self._tell(user, channel, slack_escape(answer.text.strip()))
            return
        if body.get("text") or body.get("blocks"):
            self._tell(user, channel, str(body.get("text") or ""), body.get("blocks") or [])

    def _tell(
        self, user: str, channel: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        ws = self._emulator.workspace
        ws.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=user,
                ts=ws.next_ts(),
                text=text,
                blocks=blocks or [],
                via="sandbox",
            )
        )
