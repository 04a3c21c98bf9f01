"""What happens when the app POSTs to a response_url the emulator handed out.

Slack's rules as modelled here: at most 5 uses within 30 minutes (both configurable,
secondary-source limits), ``response_type`` ephemeral (default) or in_channel,
``replace_original``/``delete_original`` acting on the message the URL was issued for
(or, for a slash command, on the last ephemeral sent through the same URL). Errors
answer like Slack's webhook endpoints: a status and a short text such as ``used_url``.
"""

from __future__ import annotations

from sandbox.slack import blockkit
from sandbox.slack.records import (
    ApiError,
    Ephemeral,
    JsonDict,
    Message,
    MessageVersion,
    ResponsePost,
    ResponseUrl,
)
from sandbox.slack.workspace import Workspace


def deliver(ws: Workspace, url_id: str, body: JsonDict) -> tuple[int, str]:
    """Apply one response_url POST; returns the HTTP status and text to answer with."""
    target = ws.response_urls.get(url_id)
    if target is None:
        return 404, "invalid_url"
    status, answer = _apply(ws, target, body)
    _record(ws, url_id, body, status, answer)
    return status, answer


def refuse(ws: Workspace, url_id: str, body: JsonDict, *, status: int, answer: str) -> None:
    """Record a POST Slack turned away unread (an outage): nothing changes, no use is spent."""
    _record(ws, url_id, body, status, answer)


def _record(ws: Workspace, url_id: str, body: JsonDict, status: int, answer: str) -> None:
    target = ws.response_urls.get(url_id)
    ws.responses.append(
        ResponsePost(
            url=target.url if target else f"{ws.base_url}/response/{url_id}",
            body=body,
            at=ws.now(),
            status=status,
            answer=answer,
            channel=target.channel if target else None,
            ts=target.ts if target else None,
            user=target.user if target else None,
        )
    )


def _apply(ws: Workspace, target: ResponseUrl, body: JsonDict) -> tuple[int, str]:
    if ws.now() - target.issued_at > ws.limits.response_url_ttl_seconds:
        return 404, "expired_url"
    if target.uses >= ws.limits.response_url_max_uses:
        ws.violations.append(f"response_url {target.url} used more than {target.uses} times")
        return 404, "used_url"
    where = f"response_url {target.url}"
    text = str(body.get("text") or "")
    try:
        blocks = blockkit.parse_blocks_arg(body.get("blocks"))
        if not body.get("delete_original"):
            if not text and not blocks and not body.get("attachments"):
                return 400, "no_text"
            ws.check_blocks(where, blocks)
    except ApiError as exc:
        return 400, exc.error
    target.uses += 1
    ws.check_mentions(where, text=text, blocks=blocks)
    if body.get("delete_original"):
        _delete(ws, target)
    elif body.get("replace_original"):
        _replace(ws, target, text, blocks)
    elif body.get("response_type") == "in_channel":
        _post_in_channel(ws, target, text, blocks, thread_ts=body.get("thread_ts"))
    else:
        _post_ephemeral(ws, target, text, blocks, thread_ts=body.get("thread_ts"))
    return 200, "ok"


def _original(ws: Workspace, target: ResponseUrl) -> Message | None:
    if target.channel is None or target.ts is None:
        return None
    return ws.find_message(target.channel, target.ts)


def _delete(ws: Workspace, target: ResponseUrl) -> None:
    original = _original(ws, target)
    if original is not None:
        original.deleted = True
    elif target.last_ephemeral is not None:
        target.last_ephemeral.deleted = True


def _replace(ws: Workspace, target: ResponseUrl, text: str, blocks: list[JsonDict]) -> None:
    original = _original(ws, target)
    stored = blockkit.with_block_ids(blocks)
    if original is not None:
        original.history.append(MessageVersion(original.text, original.blocks, ws.now()))
        original.text, original.blocks = text, stored
    elif target.last_ephemeral is not None:
        ephemeral = target.last_ephemeral
        ephemeral.history.append(MessageVersion(ephemeral.text, ephemeral.blocks, ws.now()))
        ephemeral.text, ephemeral.blocks = text, stored
    else:
        _post_ephemeral(ws, target, text, blocks, thread_ts=None)


def _post_in_channel(
    ws: Workspace, target: ResponseUrl, text: str, blocks: list[JsonDict], *, thread_ts: object
) -> None:
    if target.channel is None:
        ws.violations.append(f"response_url {target.url} has no channel for in_channel")
        return
    ident = ws.identity
    target.shown += 1
    ws.messages_in(target.channel).append(
        Message(
            channel=target.channel,
            ts=ws.next_ts(),
            text=text,
            blocks=blockkit.with_block_ids(blocks),
            user=ident.bot_user_id,
            team=ident.team_id,
            bot_id=ident.bot_id,
            app_id=ident.app_id,
            thread_ts=ws.thread_parent(target.channel, str(thread_ts) if thread_ts else None),
            via="response_url",
        )
    )


def _post_ephemeral(
    ws: Workspace, target: ResponseUrl, text: str, blocks: list[JsonDict], *, thread_ts: object
) -> None:
    ephemeral = Ephemeral(
        channel=target.channel,
        user=target.user,
        ts=ws.next_ts(),
        text=text,
        blocks=blockkit.with_block_ids(blocks),
        thread_ts=str(thread_ts) if thread_ts else None,
        via="response_url",
    )
    ws.ephemerals.append(ephemeral)
    target.last_ephemeral = ephemeral
    target.shown += 1
