"""Web API methods that read a channel: conversations.info, .history and .replies.

Each method is ``(workspace, args) -> answer``, as in ``methods_chat``. Message metadata
is shown only with ``include_all_metadata``, as Slack does.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation

from sandbox.slack.records import ApiError, JsonDict, Message
from sandbox.slack.workspace import Args, Method, Workspace

HISTORY_LIMIT_DEFAULT = 100
HISTORY_LIMIT_MAX = 999


def conversations_info(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.resolve_channel(args.string("channel"))
    name = ws.channels[channel]
    return {
        "channel": {
            "id": channel,
            "name": name,
            "name_normalized": name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": False,
            "is_archived": False,
            "is_general": name == "general",
            "is_member": True,
            "context_team_id": ws.identity.team_id,
            "created": 1_600_000_000,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }
    }


def conversations_history(ws: Workspace, args: Args) -> JsonDict:
    """Top-level messages newest first, within ``oldest``/``latest`` and one page of ``limit``.

    Thread replies are left out; a thread's parent carries ``reply_count`` and friends.
    ``latest`` defaults to no bound (not "now"): an emulator with a fixed clock stamps
    messages after its own now.
    """
    channel = ws.resolve_channel(args.string("channel"))
    oldest = _timestamp(args, "oldest", "invalid_ts_oldest")
    latest = _timestamp(args, "latest", "invalid_ts_latest")
    before = _cursor(args)
    inclusive = args.flag("inclusive")
    everything = ws.channel_messages.get(channel, [])
    found = []
    for message in everything:
        if not message.in_channel or message.deleted:
            continue
        ts = Decimal(message.ts)
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            continue
        if latest is not None and (ts > latest or (ts == latest and not inclusive)):
            continue
        if before is not None and ts >= before:
            continue
        found.append(message)
    found.sort(key=lambda m: Decimal(m.ts), reverse=True)
    limit = _limit(args)
    page, has_more = found[:limit], len(found) > limit
    with_metadata = args.flag("include_all_metadata")
    answer: JsonDict = {
        "messages": [_thread_summary(_shown(m, with_metadata), m, everything) for m in page],
        "has_more": has_more,
        "pin_count": 0,
        "response_metadata": {"next_cursor": _next_cursor(page[-1].ts) if has_more else ""},
    }
    if latest is not None:
        answer["latest"] = args.string("latest")
    return answer


def conversations_replies(ws: Workspace, args: Args) -> JsonDict:
    """A thread: its parent then the replies, oldest first; metadata only when asked for."""
    channel = ws.resolve_channel(args.string("channel"))
    ts = args.required("ts", "thread_not_found")
    parent = ws.find_message(channel, ts)
    if parent is None:
        raise ApiError("thread_not_found")
    with_metadata = args.flag("include_all_metadata")
    thread = [parent] + [m for m in ws.messages_in(channel) if m.thread_ts == ts and not m.deleted]
    return {"messages": [_shown(m, with_metadata) for m in thread], "has_more": False}


def _shown(message: Message, with_metadata: bool) -> JsonDict:
    shown = message.to_slack()
    if with_metadata and message.metadata is not None:
        shown["metadata"] = message.metadata
    return shown


def _thread_summary(shown: JsonDict, parent: Message, everything: list[Message]) -> JsonDict:
    """A thread parent as history shows it: ``thread_ts``, ``reply_count``, ``latest_reply``."""
    replies = [m for m in everything if m.thread_ts == parent.ts and not m.deleted]
    if replies:
        users = list(dict.fromkeys(m.user for m in replies))
        shown["thread_ts"] = parent.ts
        shown["reply_count"] = len(replies)
        shown["reply_users_count"] = len(users)
        shown["reply_users"] = users
        shown["latest_reply"] = replies[-1].ts
    return shown


def _timestamp(args: Args, key: str, error: str) -> Decimal | None:
    value = args.string(key)
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ApiError(error) from None


def _limit(args: Args) -> int:
    """Slack's page size: 100 unless given, at most 999."""
    value = args.string("limit")
    try:
        limit = int(value) if value else 0
    except ValueError:
        raise ApiError("invalid_arguments", [f"limit must be a number, not {value!r}"]) from None
    return min(limit, HISTORY_LIMIT_MAX) if limit > 0 else HISTORY_LIMIT_DEFAULT


def _next_cursor(ts: str) -> str:
    """Slack's history cursor: base64 of ``next_ts:<ts without the dot>``."""
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


def _cursor(args: Args) -> Decimal | None:
    """The ts a cursor continues below, or None for the first page."""
    value = args.string("cursor")
    if not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError("invalid_cursor") from None
    digits = decoded.removeprefix("next_ts:")
    if not decoded.startswith("next_ts:") or not digits.isdigit() or len(digits) <= 6:
        raise ApiError("invalid_cursor")
    return Decimal(f"{digits[:-6]}.{digits[-6:]}")


METHODS: dict[str, Method] = {
    "conversations.info": conversations_info,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
}
