"""Web API methods for messages and the directory: auth, chat, reactions, users, usergroups.

Each method is ``(workspace, args) -> answer``; the answer is the success body without
``ok``, and failures raise ``ApiError`` with the error code Slack documents.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.slack import blockkit
from sandbox.slack.records import ApiError, Ephemeral, JsonDict, Message, MessageVersion
from sandbox.slack.workspace import Args, Method, Workspace


def auth_test(ws: Workspace, args: Args) -> JsonDict:
    ident = ws.identity
    return {
        "url": f"https://{ident.team_domain}.slack.com/",
        "team": ident.team_domain,
        "user": "artisan-sre",
        "team_id": ident.team_id,
        "user_id": ident.bot_user_id,
        "bot_id": ident.bot_id,
        "is_enterprise_install": False,
    }


def _content(ws: Workspace, where: str, args: Args) -> tuple[str, list[JsonDict]]:
    """Text and blocks of an outbound message, checked as Slack checks them."""
    text = args.string("text") or ""
    blocks = blockkit.parse_blocks_arg(args.raw.get("blocks"))
    if not text and not blocks and not args.raw.get("attachments"):
        raise ApiError("no_text")
    ws.check_blocks(where, blocks)
    return text, blocks


def _too_long(ws: Workspace, where: str, text: str) -> bool:
    if len(text) <= blockkit.MESSAGE_TEXT_MAX:
        return False
    ws.violations.append(f"{where}: text is {len(text)} characters, over Slack's 40000")
    return True


def chat_post_message(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.resolve_destination(args.string("channel"))
    if channel in ws.closed:
        raise ApiError(ws.closed[channel])
    where = f"chat.postMessage to {channel}"
    text, blocks = _content(ws, where, args)
    if _too_long(ws, where, text):
        text = text[: blockkit.MESSAGE_TEXT_MAX]  # Slack truncates rather than refusing
    ident = ws.identity
    message = Message(
        channel=channel,
        ts=ws.next_ts(),
        text=text,
        blocks=blockkit.with_block_ids(blocks),
        user=ident.bot_user_id,
        team=ident.team_id,
        bot_id=ident.bot_id,
        app_id=ident.app_id,
        thread_ts=ws.thread_parent(channel, args.string("thread_ts")),
        metadata=_metadata(args),
    )
    message.broadcast = bool(message.thread_ts) and args.flag("reply_broadcast")
    ws.check_mentions(where, text=text, blocks=blocks, mrkdwn=not args.is_false("mrkdwn"))
    ws.messages_in(channel).append(message)
    return {"channel": channel, "ts": message.ts, "message": message.to_slack()}


def _metadata(args: Args) -> JsonDict | None:
    """Message metadata (``event_type`` + ``event_payload``), sent as JSON or a JSON string."""
    value = args.raw.get("metadata")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError("invalid_metadata_format", ["metadata is not JSON"]) from None
    if value is None:
        return None
    if not isinstance(value, dict) or "event_type" not in value:
        raise ApiError("invalid_metadata_format", ["metadata needs event_type and event_payload"])
    return dict(value)


def chat_update(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.resolve_channel(args.string("channel"))
    message = ws.live_message(channel, args.string("ts"))
    if message.user != ws.identity.bot_user_id:
        raise ApiError("cant_update_message")
    where = f"chat.update of {channel}/{message.ts}"
    if "text" not in args.raw and "blocks" not in args.raw and "attachments" not in args.raw:
        raise ApiError("no_text")
    text = args.string("text") if "text" in args.raw else message.text
    blocks = (
        blockkit.parse_blocks_arg(args.raw["blocks"]) if "blocks" in args.raw else message.blocks
    )
    ws.check_blocks(where, blocks)
    if _too_long(ws, where, text or ""):
        raise ApiError("msg_too_long")
    ws.check_mentions(where, text=text, blocks=blocks)
    message.history.append(MessageVersion(message.text, message.blocks, ws.now()))
    message.text = text or ""
    message.blocks = blockkit.with_block_ids(blocks)
    return {
        "channel": channel,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_slack(),
    }


def chat_post_ephemeral(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.resolve_channel(args.string("channel"))
    user = args.string("user")
    if user not in ws.users:
        raise ApiError("user_not_in_channel")
    where = f"chat.postEphemeral to {user} in {channel}"
    text, blocks = _content(ws, where, args)
    if _too_long(ws, where, text):
        raise ApiError("msg_too_long")
    ws.check_mentions(where, text=text, blocks=blocks)
    ephemeral = Ephemeral(
        channel=channel,
        user=user,
        ts=ws.next_ts(),
        text=text,
        blocks=blockkit.with_block_ids(blocks),
        thread_ts=args.string("thread_ts"),
    )
    ws.ephemerals.append(ephemeral)
    return {"message_ts": ephemeral.ts}


def chat_delete(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.resolve_channel(args.string("channel"))
    message = ws.live_message(channel, args.string("ts"))
    if message.user != ws.identity.bot_user_id:
        raise ApiError("cant_delete_message")
    message.deleted = True
    return {"channel": channel, "ts": message.ts}


def chat_get_permalink(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.resolve_channel(args.string("channel"))
    message = ws.live_message(channel, args.string("message_ts"))
    link = f"{ws.base_url}/archives/{channel}/p{message.ts.replace('.', '')}"
    if message.thread_ts:
        link += f"?thread_ts={message.thread_ts}&cid={channel}"
    return {"channel": channel, "permalink": link}


def reactions_add(ws: Workspace, args: Args) -> JsonDict:
    channel = ws.resolve_channel(args.string("channel"))
    message = ws.live_message(channel, args.string("timestamp"))
    name = (args.string("name") or "").strip(":")
    if not name:
        raise ApiError("invalid_name")
    users = message.reactions.setdefault(name, [])
    if ws.identity.bot_user_id in users:
        raise ApiError("already_reacted")
    users.append(ws.identity.bot_user_id)
    return {}


def users_info(ws: Workspace, args: Args) -> JsonDict:
    user = args.string("user") or ""
    is_bot = user == ws.identity.bot_user_id
    if user not in ws.users and not is_bot:
        raise ApiError("user_not_found")
    display = "artisan-sre" if is_bot else ws.users[user]
    handle = display.lower().replace(" ", ".")
    return {
        "user": {
            "id": user,
            "team_id": ws.identity.team_id,
            "name": handle,
            "real_name": display,
            "deleted": False,
            "is_bot": is_bot,
            "is_admin": False,
            "tz": "Europe/London",
            "tz_offset": 0,
            "profile": {
                "real_name": display,
                "display_name": display,
                "real_name_normalized": display,
                "display_name_normalized": display,
                "team": ws.identity.team_id,
            },
        }
    }


def _usergroup(ws: Workspace, args: Args) -> str:
    group = args.string("usergroup") or ""
    if group not in ws.usergroups:
        raise ApiError("no_such_subteam")
    return group


def usergroups_users_list(ws: Workspace, args: Args) -> JsonDict:
    return {"users": list(ws.usergroups[_usergroup(ws, args)])}


def usergroups_users_update(ws: Workspace, args: Args) -> JsonDict:
    group = _usergroup(ws, args)
    users = [u.strip() for u in (args.string("users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("no_users_provided")  # Slack refuses to empty a user group
    unknown = [u for u in users if u not in ws.users]
    if unknown:
        raise ApiError("invalid_users", [f"unknown users: {', '.join(unknown)}"])
    ws.usergroups[group] = users
    answer: dict[str, Any] = {
        "id": group,
        "team_id": ws.identity.team_id,
        "handle": group.lower(),
        "users": users,
        "user_count": len(users),
    }
    return {"usergroup": answer}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
    "reactions.add": reactions_add,
    "users.info": users_info,
    "usergroups.users.list": usergroups_users_list,
    "usergroups.users.update": usergroups_users_update,
}
