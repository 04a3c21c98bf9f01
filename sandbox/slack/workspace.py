"""The emulated workspace: who exists, what was posted, and the rules shared by methods.

``Workspace`` holds all state the Web API methods read and change; it knows nothing
about HTTP, so the method modules stay plain functions ``(workspace, args) -> answer``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from sandbox.slack import blockkit
from sandbox.slack.mentions import find_mentions
from sandbox.slack.records import (
    ApiError,
    Ephemeral,
    JsonDict,
    Message,
    RecordedCall,
    ResponsePost,
    ResponseUrl,
    SandboxView,
    Trigger,
    Upload,
)

TRIGGER_ID_FORMAT = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")


@dataclass(frozen=True)
class Identity:
    """The workspace and the bot installed in it, as auth.test reports them."""

    team_id: str
    team_domain: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    app_id: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    app_token: str = "xapp-sandbox"


@dataclass(frozen=True)
class Limits:
    """Slack's timing and usage limits; some are secondary-source, so configurable."""

    trigger_ttl_seconds: float = 3.0
    response_url_max_uses: int = 5
    response_url_ttl_seconds: float = 1800.0
    view_stack_max: int = 3


class Args:
    """A method's arguments after merging query string and body; values may be strings."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)

    def string(self, key: str) -> str | None:
        value = self.raw.get(key)
        return None if value is None else str(value)

    def required(self, key: str, error: str) -> str:
        value = self.string(key)
        if not value:
            raise ApiError(error, [f"missing required field: {key}"])
        return value

    def flag(self, key: str) -> bool:
        return self.raw.get(key) in (True, 1, "1", "true", "True")

    def is_false(self, key: str) -> bool:
        return self.raw.get(key) in (False, 0, "0", "false", "False")


class Workspace:
    """All state of the emulated workspace, plus the checks every method shares."""

    def __init__(
        self,
        *,
        identity: Identity,
        channels: Mapping[str, str],
        users: Mapping[str, str],
        usergroups: Mapping[str, Sequence[str]],
        clock: Clock,
        limits: Limits,
    ) -> None:
        self.identity = identity
        self.channels = dict(channels)
        self.users = dict(users)
        self.usergroups = {group: list(members) for group, members in usergroups.items()}
        self.clock = clock
        self.limits = limits
        self.base_url = ""
        self.allowed_mentions: set[str] = set()
        self.closed: dict[str, str] = {}
        """Channels that refuse the bot's posts, with Slack's error (``not_in_channel``,
        ``is_archived``); a state of the workspace, kept across ``reset``."""
        self._last_ts_us = 0
        self.reset()

    def reset(self) -> None:
        """Forget everything recorded; identities, channels and users stay."""
        self.calls: list[RecordedCall] = []
        self.channel_messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.responses: list[ResponsePost] = []
        self.response_urls: dict[str, ResponseUrl] = {}
        self.triggers: dict[str, Trigger] = {}
        self.views: dict[str, SandboxView] = {}
        self.view_stacks: dict[str, list[str]] = {}
        self.uploads: dict[str, Upload] = {}
        self.violations: list[str] = []

    # ----- clock and identifiers

    def now(self) -> float:
        return self.clock.now().timestamp()

    def next_ts(self) -> str:
        """A message ts like Slack's: seconds.microseconds, unique and increasing."""
        now_us = int(self.now() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 100)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    @staticmethod
    def new_id(prefix: str) -> str:
        """An opaque Slack-looking id such as ``V07ABCDEF12``."""
        return prefix + secrets.token_hex(5).upper()

    # ----- lookups

    def resolve_channel(self, value: str | None) -> str:
        """A channel id from an id or ``#name``; ``channel_not_found`` if unknown."""
        if value and value in self.channels:
            return value
        name = (value or "").lstrip("#")
        for channel_id, channel_name in self.channels.items():
            if channel_name == name:
                return channel_id
        raise ApiError("channel_not_found")

    def resolve_destination(self, value: str | None) -> str:
        """``chat.postMessage`` also takes a user ID: Slack posts in the app's direct messages
        with that person (recorded here under the user ID)."""
        if value and value in self.users:
            return value
        return self.resolve_channel(value)

    def messages_in(self, channel: str) -> list[Message]:
        return self.channel_messages.setdefault(channel, [])

    def find_message(self, channel: str, ts: str) -> Message | None:
        for message in self.channel_messages.get(channel, []):
            if message.ts == ts:
                return message
        return None

    def live_message(self, channel: str | None, ts: str | None) -> Message:
        """The message at (channel, ts) if it exists and is not deleted."""
        message = self.find_message(channel or "", ts or "")
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        return message

    def thread_parent(self, channel: str, thread_ts: str | None) -> str | None:
        """Replies to a reply land in the parent's thread, as in Slack."""
        if not thread_ts:
            return None
        message = self.find_message(channel, thread_ts)
        if message is None:
            self.violations.append(f"thread_ts {thread_ts} matches no message in {channel}")
            return thread_ts
        return message.thread_ts or message.ts

    # ----- outbound content checks

    def check_blocks(self, where: str, blocks: Sequence[JsonDict]) -> None:
        """Raise ``invalid_blocks`` (and record a violation) when Slack would refuse them."""
        problems = blockkit.message_problems(blocks)
        if problems:
            self.violations.append(f"{where}: invalid_blocks: {'; '.join(problems)}")
            raise ApiError("invalid_blocks", problems)

    def check_mentions(
        self, where: str, *, text: str | None, blocks: Sequence[JsonDict], mrkdwn: bool = True
    ) -> None:
        """Record every pinging mention that a test did not mark as intended."""
        for mention in find_mentions(text=text, blocks=blocks, text_is_mrkdwn=mrkdwn):
            if mention.token not in self.allowed_mentions:
                self.violations.append(
                    f"{where}: broadcast mention {mention.token} at {mention.pointer}"
                )

    # ----- triggers and response URLs

    def issue_trigger(self, *, user: str | None = None, view_id: str | None = None) -> str:
        trigger_id = (
            f"{secrets.randbelow(10**12):012d}.{secrets.randbelow(10**11):011d}."
            f"{secrets.token_hex(16)}"
        )
        self.triggers[trigger_id] = Trigger(trigger_id, self.now(), user=user, view_id=view_id)
        return trigger_id

    def check_trigger(self, trigger_id: str | None) -> Trigger:
        """The trigger if views.* may exchange it now; raises Slack's trigger errors."""
        if not trigger_id:
            raise ApiError("invalid_arguments", ["missing required field: trigger_id"])
        trigger = self.triggers.get(trigger_id)
        if not TRIGGER_ID_FORMAT.match(trigger_id) or trigger is None:
            raise ApiError("invalid_trigger_id")
        if trigger.exchanged:
            raise ApiError("exchanged_trigger_id")
        if self.now() - trigger.issued_at > self.limits.trigger_ttl_seconds:
            raise ApiError("expired_trigger_id")
        return trigger

    def issue_response_url(
        self, *, channel: str | None, ts: str | None, user: str | None
    ) -> ResponseUrl:
        url_id = secrets.token_hex(12)
        target = ResponseUrl(
            id=url_id,
            url=f"{self.base_url}/response/{url_id}",
            issued_at=self.now(),
            channel=channel,
            ts=ts,
            user=user,
        )
        self.response_urls[url_id] = target
        return target


Method = Callable[[Workspace, Args], JsonDict]
"""A Web API method: the success answer without ``ok``, or raise ``ApiError``."""
