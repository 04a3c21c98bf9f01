"""Web API methods for modals: views.open, views.update, views.push.

Slack ties a modal to a trigger_id that is valid for 3 s and usable once, keeps a stack
of at most 3 views, and guards updates with a hash. The emulator does the same, and also
applies a ``view_submission`` ack (``response_action``) so the stored stack stays true.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sandbox.slack import blockkit
from sandbox.slack.records import ApiError, JsonDict, SandboxView
from sandbox.slack.workspace import Args, Method, Workspace


def _view_arg(ws: Workspace, args: Args) -> JsonDict:
    view = blockkit.parse_json_arg(args.raw.get("view"))
    return checked_view(ws, view, where="views")


def checked_view(ws: Workspace, view: object, *, where: str) -> JsonDict:
    """The view definition if Slack would accept it; ``invalid_arguments`` otherwise."""
    if view is None:
        raise ApiError("invalid_arguments", ["missing required field: view"])
    if blockkit.view_too_large(view):
        raise ApiError("view_too_large")
    problems = blockkit.view_problems(view)
    if problems:
        ws.violations.append(f"{where}: invalid view: {'; '.join(problems)}")
        raise ApiError("invalid_arguments", problems)
    assert isinstance(view, dict)  # view_problems refuses anything else
    return view


def _stored(
    ws: Workspace, view: JsonDict, *, view_id: str, root: str, previous: str | None
) -> JsonDict:
    """The view object as Slack returns it: the definition plus ids, hash and state."""
    ident = ws.identity
    return {
        "id": view_id,
        "team_id": ident.team_id,
        "type": view.get("type", "modal"),
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "blocks": blockkit.with_block_ids(view.get("blocks", [])),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "state": {"values": {}},
        "hash": f"{int(ws.now())}.{secrets.token_hex(4)}",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "previous_view_id": previous,
        "root_view_id": root,
        "app_id": ident.app_id,
        "app_installed_team_id": ident.team_id,
        "bot_id": ident.bot_id,
    }


def _check_external_id(ws: Workspace, view: JsonDict, *, except_id: str | None = None) -> None:
    external = view.get("external_id")
    if not external:
        return
    for other in ws.views.values():
        if other.id != except_id and other.payload.get("external_id") == external:
            raise ApiError("duplicate_external_id")


def open_stack(
    ws: Workspace, view: JsonDict, *, user: str | None, trigger_id: str | None
) -> SandboxView:
    """Start a new view stack with ``view`` at its root."""
    view_id = ws.new_id("V")
    payload = _stored(ws, view, view_id=view_id, root=view_id, previous=None)
    opened = SandboxView(view_id, payload, root_view_id=view_id, user=user, trigger_id=trigger_id)
    ws.views[view_id] = opened
    ws.view_stacks[view_id] = [view_id]
    return opened


def push_onto(
    ws: Workspace, top: SandboxView, view: JsonDict, *, trigger_id: str | None
) -> SandboxView:
    """Push ``view`` above ``top``; Slack allows at most 3 views in a stack."""
    stack = ws.view_stacks.setdefault(top.root_view_id, [top.id])
    if len(stack) >= ws.limits.view_stack_max:
        raise ApiError("push_limit_reached")
    view_id = ws.new_id("V")
    payload = _stored(ws, view, view_id=view_id, root=top.root_view_id, previous=stack[-1])
    pushed = SandboxView(
        view_id, payload, root_view_id=top.root_view_id, user=top.user, trigger_id=trigger_id
    )
    ws.views[view_id] = pushed
    stack.append(view_id)
    return pushed


def replace_view(ws: Workspace, target: SandboxView, view: JsonDict) -> None:
    """views.update / response_action=update: same id, new content and hash."""
    target.history.append(target.payload)
    target.payload = _stored(
        ws,
        view,
        view_id=target.id,
        root=target.root_view_id,
        previous=target.payload.get("previous_view_id"),
    )
    target.errors = None


def close_view(ws: Workspace, target: SandboxView, *, whole_stack: bool = False) -> None:
    """Close the view (an empty ack) or its whole stack (``response_action=clear``)."""
    stack = ws.view_stacks.get(target.root_view_id, [target.id])
    closing = list(stack) if whole_stack else [target.id]
    for view_id in closing:
        ws.views[view_id].closed = True
        if view_id in stack:
            stack.remove(view_id)


def views_open(ws: Workspace, args: Args) -> JsonDict:
    trigger = ws.check_trigger(args.string("trigger_id") or args.string("interactivity_pointer"))
    view = _view_arg(ws, args)
    _check_external_id(ws, view)
    trigger.exchanged = True
    opened = open_stack(ws, view, user=trigger.user, trigger_id=trigger.id)
    return {"view": opened.payload}


def views_push(ws: Workspace, args: Args) -> JsonDict:
    trigger = ws.check_trigger(args.string("trigger_id") or args.string("interactivity_pointer"))
    view = _view_arg(ws, args)
    top = ws.views.get(trigger.view_id or "")
    if top is None or top.closed:
        raise ApiError("not_found", ["views.push needs a trigger from inside an open modal"])
    _check_external_id(ws, view)
    pushed = push_onto(ws, top, view, trigger_id=trigger.id)
    trigger.exchanged = True
    return {"view": pushed.payload}


def views_update(ws: Workspace, args: Args) -> JsonDict:
    view_id = args.string("view_id")
    external_id = args.string("external_id")
    target = ws.views.get(view_id or "")
    if target is None and external_id:
        target = next(
            (v for v in ws.views.values() if v.payload.get("external_id") == external_id), None
        )
    if target is None or target.closed:
        raise ApiError("not_found")
    expected = args.string("hash")
    if expected and expected != target.hash:
        raise ApiError("hash_conflict")
    view = _view_arg(ws, args)
    _check_external_id(ws, view, except_id=target.id)
    replace_view(ws, target, view)
    return {"view": target.payload}


def apply_submission_ack(ws: Workspace, target: SandboxView, ack: Mapping[str, Any] | None) -> None:
    """What Slack does with the app's answer to a view_submission."""
    action = (ack or {}).get("response_action")
    if action is None:
        close_view(ws, target)
    elif action == "errors":
        errors = (ack or {}).get("errors") or {}
        target.errors = {str(k): str(v) for k, v in errors.items()}
    elif action == "clear":
        close_view(ws, target, whole_stack=True)
    elif action in ("update", "push"):
        view = checked_view(ws, (ack or {}).get("view"), where=f"view_submission {action}")
        if action == "update":
            replace_view(ws, target, view)
        else:
            push_onto(ws, target, view, trigger_id=None)
    else:
        ws.violations.append(f"view_submission ack has unknown response_action {action!r}")


METHODS: dict[str, Method] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
}
