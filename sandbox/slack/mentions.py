"""Find broadcast and user-group mentions that would ping people.

User input echoed unescaped into mrkdwn turns ``<!channel>`` into a real broadcast.
The emulator scans every outbound text the way Slack renders it: top-level ``text``
(mrkdwn unless ``mrkdwn=false``), every ``mrkdwn`` text object at any depth of the
blocks, and rich_text ``broadcast``/``usergroup`` elements. ``plain_text`` objects and
escaped ``&lt;!channel&gt;`` render literally and are not hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^([A-Za-z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Mention:
    """One pinging mention: ``token`` is normalised (``<!here>``, ``<!subteam^S1>``)."""

    token: str
    pointer: str


def normalise(token: str) -> str:
    """``<!subteam^S1|@oncall>`` → ``<!subteam^S1>``; used to match allow-listed mentions."""
    found = list(_scan_text(token, ""))
    return found[0].token if found else token


def find_mentions(
    *, text: str | None, blocks: Sequence[Any] | None, text_is_mrkdwn: bool = True
) -> list[Mention]:
    """All pinging mentions in a message's top-level text and blocks."""
    hits: list[Mention] = []
    if text and text_is_mrkdwn:
        hits.extend(_scan_text(text, "/text"))
    if blocks:
        hits.extend(_walk(list(blocks), "/blocks"))
    return hits


def _scan_text(text: str, pointer: str) -> Iterator[Mention]:
    for match in _SPECIAL.finditer(text):
        yield Mention(f"<!{match.group(1)}>", pointer)
    for match in _SUBTEAM.finditer(text):
        yield Mention(f"<!subteam^{match.group(1)}>", pointer)


def _walk(node: object, pointer: str) -> Iterator[Mention]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{pointer}/{index}")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "mrkdwn" and isinstance(node.get("text"), str):
        yield from _scan_text(node["text"], f"{pointer}/text")
        return
    if kind == "broadcast" and isinstance(node.get("range"), str):
        yield Mention(f"<!{node['range']}>", pointer)
    elif kind == "usergroup" and isinstance(node.get("usergroup_id"), str):
        yield Mention(f"<!subteam^{node['usergroup_id']}>", pointer)
    for key, value in node.items():
        if isinstance(value, dict | list):
            yield from _walk(value, f"{pointer}/{key}")
