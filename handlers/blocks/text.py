"""Text for Block Kit: escaped, clipped to Slack's limits, mentions only where we mean them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.slack_ids import USER_ID_IN_TEXT, USER_ID_SHAPE

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
CONTEXT_TEXT_MAX = 2000
FALLBACK_TEXT_MAX = 3000

# An answer as chat.postMessage, chat.postEphemeral and response_url take it: text + blocks.
Reply = dict[str, Any]

USER_ID = re.compile(USER_ID_SHAPE)
# An ID the bot wrote (a domain message names people so); one a person typed as a mention
# (``<@U0DDD>``, escaped to ``&lt;@U0DDD&gt;``) stays the text it was, pinging nobody.
_BARE_USER_ID = re.compile(rf"(?<!@){USER_ID_IN_TEXT.pattern}")
# Slack sends a mention as <@U123|name> when the command escapes users, <@U123> otherwise.
_USER_MENTION = re.compile(rf"<@({USER_ID.pattern})(?:\|[^>]*)?>")
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")


def escape(text: str) -> str:
    """Neutralise Slack's three control characters, ``&`` first so nothing is escaped twice.

    After this, ``<!channel>`` typed by a person renders as text and pings nobody.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def placeholder(word: str) -> str:
    """``<word>`` in a command's usage, escaped: Slack reads a bare ``<url>`` as a link."""
    return escape(f"<{word}>")


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in … when cut, never inside an ``&amp;`` entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = _ENTITY_TAIL.sub("", cut)
    return cut + "…"


def is_user_id(token: str) -> bool:
    return USER_ID.fullmatch(token) is not None


def user_in(token: str) -> str | None:
    """The user ID a command argument names (``<@U123|alice>``, ``<@U123>`` or ``U123``)."""
    match = _USER_MENTION.fullmatch(token)
    if match:
        return match.group(1)
    return token if is_user_id(token) else None


def mention(actor: str) -> str:
    """A Slack user ID becomes a mention; any other name (a CLI responder) stays text."""
    return f"<@{actor}>" if is_user_id(actor) else escape(actor)


def channel_link(channel: str) -> str:
    """A channel as Slack shows it: its name, linked (``<#C0INCIDENTS>``)."""
    return f"<#{channel}>"


def mention_users(text: str) -> str:
    """Escape ``text`` and turn the user IDs inside it (domain messages name people so) into
    mentions."""
    return _BARE_USER_ID.sub(lambda m: mention(m.group(0)), escape(text))


def when(instant: datetime, zone: tzinfo = UTC) -> str:
    """A date Slack shows in each reader's own time zone; where Slack cannot (notifications,
    older clients), the fallback in ``zone``, the team's (``timezone`` in sre.yaml)."""
    fallback = instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def yes_no(value: bool) -> str:
    """A flag as a person reads it: ``yes`` or ``no``, never ``True``."""
    return "yes" if value else "no"


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    """A mrkdwn text object; ``text`` must already be escaped where it holds user text."""
    return {"type": "mrkdwn", "text": clip(text, limit)}


def plain(text: str, limit: int = HEADER_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(t, CONTEXT_TEXT_MAX) for t in texts[:10]]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text)}


def button(text: str, *, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def fallback(text: str) -> str:
    """The notification text that accompanies blocks; escaped by the caller."""
    return clip(text, FALLBACK_TEXT_MAX)


def message(text: str) -> Reply:
    """A one-section reply (ephemeral answers, refusals): ``text`` already escaped."""
    return {"text": fallback(text), "blocks": [section(text)]}
