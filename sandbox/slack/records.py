"""What the emulator remembers: plain records that tests and the sandbox page inspect.

Every record is a mutable dataclass so the emulator can edit it in place (a message
that is updated keeps its identity and grows a history), and serialises with
``dataclasses.asdict`` for the ``/_sandbox`` JSON views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

JsonDict = dict[str, Any]


class ApiError(Exception):
    """A Slack Web API error, answered as HTTP 200 ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error if not messages else f"{error}: {'; '.join(messages)}")
        self.error = error
        self.messages = messages or []


@dataclass
class RecordedCall:
    """One Web API request as it arrived, and how the emulator answered it."""

    method: str
    args: JsonDict
    status: int
    ok: bool
    error: str | None
    at: float
    http_method: str = "POST"


@dataclass
class MessageVersion:
    """The content a message had before an edit replaced it."""

    text: str
    blocks: list[JsonDict]
    at: float


@dataclass
class Message:
    """A message in a channel (top level when ``thread_ts`` is None, else a reply)."""

    channel: str
    ts: str
    text: str
    blocks: list[JsonDict]
    user: str
    team: str
    bot_id: str | None = None
    app_id: str | None = None
    thread_ts: str | None = None
    broadcast: bool = False
    """A thread reply also shown in its channel (``reply_broadcast``)."""
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    reactions: dict[str, list[str]] = field(default_factory=dict)
    metadata: JsonDict | None = None
    files: list[str] = field(default_factory=list)
    via: str = "chat.postMessage"

    @property
    def edits(self) -> list[MessageVersion]:
        """Earlier versions, oldest first (an alias of ``history``)."""
        return self.history

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def in_channel(self) -> bool:
        """Shown in its channel's history: top level, or a thread reply broadcast there."""
        return not self.thread_ts or self.broadcast

    def to_slack(self) -> JsonDict:
        """The message object as Slack returns it in API answers and interaction payloads."""
        out: JsonDict = {"type": "message", "text": self.text, "user": self.user, "ts": self.ts}
        if self.bot_id:
            out["bot_id"] = self.bot_id
        if self.app_id:
            out["app_id"] = self.app_id
        if self.blocks:
            out["blocks"] = self.blocks
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.broadcast:
            out["subtype"] = "thread_broadcast"
        if self.history:
            out["edited"] = {"user": self.user, "ts": self.ts}
        if self.reactions:
            out["reactions"] = [
                {"name": name, "users": users, "count": len(users)}
                for name, users in self.reactions.items()
            ]
        if self.files:
            out["files"] = [{"id": file_id} for file_id in self.files]
        out["team"] = self.team
        return out


@dataclass
class Ephemeral:
    """A message only ``user`` sees: from chat.postEphemeral or a response_url post."""

    channel: str | None
    user: str | None
    ts: str
    text: str
    blocks: list[JsonDict]
    thread_ts: str | None = None
    via: str = "chat.postEphemeral"
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False


@dataclass
class ResponseUrl:
    """A response_url the emulator handed out, and what it is bound to."""

    id: str
    url: str
    issued_at: float
    channel: str | None = None
    ts: str | None = None
    user: str | None = None
    uses: int = 0
    last_ephemeral: Ephemeral | None = None
    shown: int = 0
    """Messages its POSTs put on the screen (a replacement shows none more)."""


@dataclass
class ResponsePost:
    """One POST to a response_url: the JSON body, when, and what the emulator answered."""

    url: str
    body: JsonDict
    at: float
    status: int
    answer: str
    channel: str | None = None
    ts: str | None = None
    user: str | None = None


@dataclass
class Trigger:
    """A trigger_id the emulator issued; views.open/push exchange it once, within the TTL."""

    id: str
    issued_at: float
    user: str | None = None
    view_id: str | None = None
    exchanged: bool = False


@dataclass
class SandboxView:
    """A modal opened through views.open/push, as Slack holds it."""

    id: str
    payload: JsonDict
    root_view_id: str
    user: str | None = None
    trigger_id: str | None = None
    closed: bool = False
    errors: dict[str, str] | None = None
    history: list[JsonDict] = field(default_factory=list)

    @property
    def blocks(self) -> list[JsonDict]:
        blocks: list[JsonDict] = self.payload.get("blocks", [])
        return blocks

    @property
    def callback_id(self) -> str:
        return str(self.payload.get("callback_id", ""))

    @property
    def private_metadata(self) -> str:
        return str(self.payload.get("private_metadata", ""))

    @property
    def hash(self) -> str:
        return str(self.payload.get("hash", ""))


@dataclass
class Upload:
    """A file uploaded through files.getUploadURLExternal → upload URL → completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    upload_url: str
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


class Button(NamedTuple):
    """A button element of a message, as ``(action_id, value, text)``."""

    action_id: str
    value: str | None
    text: str
