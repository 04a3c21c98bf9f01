"""Block Kit limit checks, so a message Slack would refuse fails in tests too.

Each block goes through ``slack_sdk``'s own models (``Block.parse(d).to_dict()``, which
validates nested elements), and then through the limits the SDK does not check:
blocks per message/modal, section/field/header lengths, context size, modal labels.
Problems read like Slack's ``response_metadata.messages``:
``must be less than 3001 characters [json-pointer:/blocks/0/text/text]``.
"""

from __future__ import annotations

import json
import secrets
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from sandbox.slack.records import ApiError, JsonDict

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_TEXT_MAX = 40_000
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
VIEW_LABEL_MAX = 24
VIEW_PRIVATE_METADATA_MAX = 3000
VIEW_CALLBACK_ID_MAX = 255
VIEW_SIZE_MAX = 250_000


def parse_json_arg(value: object, *, error: str = "invalid_arguments") -> Any:
    """A nested argument as sent: real JSON already, or a JSON string in a form post."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ApiError(error, [f"not valid JSON: {exc.msg}"]) from exc


def parse_blocks_arg(value: object) -> list[JsonDict]:
    """The ``blocks`` argument as a list of objects; ``invalid_blocks_format`` otherwise."""
    if value is None or value == "":
        return []
    blocks = parse_json_arg(value, error="invalid_blocks_format")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise ApiError("invalid_blocks_format", ["blocks must be an array of objects"])
    return blocks


def message_problems(blocks: Sequence[JsonDict]) -> list[str]:
    """Why Slack would answer ``invalid_blocks`` for these message blocks (empty if fine)."""
    problems: list[str] = []
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        problems.append(
            f"must contain at most {MESSAGE_BLOCKS_MAX} items, got {len(blocks)} "
            "[json-pointer:/blocks]"
        )
    for index, block in enumerate(blocks):
        problems.extend(block_problems(block, pointer=f"/blocks/{index}"))
    return _unique(problems)


def view_problems(view: object) -> list[str]:
    """Why Slack would refuse this modal in views.open/update/push (empty if fine)."""
    if not isinstance(view, dict):
        return ["view must be an object [json-pointer:/view]"]
    problems: list[str] = []
    if view.get("type") != "modal":
        problems.append("type must be 'modal' [json-pointer:/view/type]")
    if not isinstance(view.get("title"), dict):
        problems.append("title is required [json-pointer:/view/title]")
    for key in ("title", "submit", "close"):
        label = view.get(key)
        if isinstance(label, dict):
            problems.extend(_length(label.get("text"), VIEW_LABEL_MAX, f"/view/{key}/text"))
            if label.get("type") != "plain_text":
                problems.append(f"must be a plain_text object [json-pointer:/view/{key}]")
    problems.extend(
        _length(view.get("private_metadata"), VIEW_PRIVATE_METADATA_MAX, "/view/private_metadata")
    )
    problems.extend(_length(view.get("callback_id"), VIEW_CALLBACK_ID_MAX, "/view/callback_id"))
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*problems, "blocks is required [json-pointer:/view/blocks]"]
    if len(blocks) > VIEW_BLOCKS_MAX:
        problems.append(
            f"must contain at most {VIEW_BLOCKS_MAX} items, got {len(blocks)} "
            "[json-pointer:/view/blocks]"
        )
    for index, block in enumerate(blocks):
        problems.extend(block_problems(block, pointer=f"/view/blocks/{index}"))
    return _unique(problems)


def view_too_large(view: object) -> bool:
    """Slack refuses views over 250 kB of JSON with ``view_too_large``."""
    return len(json.dumps(view).encode()) > VIEW_SIZE_MAX


def block_problems(block: object, *, pointer: str) -> list[str]:
    """Problems of one block: the SDK's validation first, then the limits it lacks."""
    if not isinstance(block, dict):
        return [f"must be an object [json-pointer:{pointer}]"]
    problems: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the SDK warns, then returns None, on unknown types
            parsed = Block.parse(dict(block))
            if parsed is None:
                problems.append(f"unsupported type {block.get('type')!r} [json-pointer:{pointer}]")
            else:
                parsed.to_dict()
    except SlackObjectFormationError as exc:
        problems.append(f"{exc} [json-pointer:{pointer}]")
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        problems.append(f"invalid block: {exc} [json-pointer:{pointer}]")
    problems.extend(_limits_the_sdk_lacks(block, pointer))
    return problems


def _limits_the_sdk_lacks(block: JsonDict, pointer: str) -> list[str]:
    kind = block.get("type")
    problems: list[str] = []
    if kind == "section":
        text = block.get("text")
        if text is not None and not isinstance(text, dict):
            problems.append(f"must be a text object [json-pointer:{pointer}/text]")
        elif isinstance(text, dict):
            problems.extend(_length(text.get("text"), SECTION_TEXT_MAX, f"{pointer}/text/text"))
            if text.get("text") == "":
                problems.append(
                    f"must be more than 0 characters [json-pointer:{pointer}/text/text]"
                )
        fields = block.get("fields")
        if isinstance(fields, list):
            if len(fields) > SECTION_FIELDS_MAX:
                problems.append(
                    f"must contain at most {SECTION_FIELDS_MAX} items [json-pointer:{pointer}/fields]"
                )
            for index, item in enumerate(fields):
                if isinstance(item, dict):
                    where = f"{pointer}/fields/{index}/text"
                    problems.extend(_length(item.get("text"), SECTION_FIELD_TEXT_MAX, where))
    elif kind == "header":
        text = block.get("text")
        if isinstance(text, dict):
            problems.extend(_length(text.get("text"), HEADER_TEXT_MAX, f"{pointer}/text/text"))
        else:
            problems.append(f"must be a plain_text object [json-pointer:{pointer}/text]")
    elif kind == "context":
        elements = block.get("elements")
        if isinstance(elements, list) and len(elements) > CONTEXT_ELEMENTS_MAX:
            problems.append(
                f"must contain at most {CONTEXT_ELEMENTS_MAX} items "
                f"[json-pointer:{pointer}/elements]"
            )
    return problems


def _length(value: object, limit: int, pointer: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}]"]
    return []


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def with_block_ids(blocks: Sequence[JsonDict]) -> list[JsonDict]:
    """A deep copy of ``blocks`` where every block has a ``block_id``, as Slack stores them."""
    stored: list[JsonDict] = json.loads(json.dumps(list(blocks)))
    for block in stored:
        block.setdefault("block_id", secrets.token_urlsafe(3))
    return stored


def iter_buttons(blocks: Sequence[JsonDict]) -> Iterator[tuple[str, JsonDict]]:
    """Every button element as ``(block_id, element)``: actions elements and section accessories."""
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        candidates: list[Any] = []
        if block.get("type") == "actions":
            candidates.extend(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        for element in candidates:
            if isinstance(element, dict) and element.get("type") == "button":
                yield block_id, element
