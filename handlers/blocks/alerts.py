"""Alert text in incident cards and thread replies: user text escaped, lists bounded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.incidents.model import AlertLine, Severity
from bot.incidents.posts import AlertsReply
from handlers.blocks.text import Reply, clip, context, escape, fallback, section

# A card lists this many firing alerts; the rest are counted (a section holds 3,000 chars).
CARD_LINES = 10
LINE_MAX = 250


def _item(name: str, summary: str, severity: str, where: str = "") -> str:
    label = Severity(severity).label if severity in set(Severity) else severity
    text = f"• *{escape(clip(name, 100))}*"
    if where:
        text += f" on {escape(clip(where, 80))}"
    text += f" ({escape(label)})"
    if summary:
        text += f" — {escape(clip(summary, LINE_MAX))}"
    return text


def firing_alerts_section(lines: Sequence[AlertLine]) -> dict[str, Any]:
    """The card's list of the alerts firing now, most severe first."""
    shown = [_item(a.name, a.summary, a.severity) for a in lines[:CARD_LINES]]
    if len(lines) > CARD_LINES:
        shown.append(f"_and {len(lines) - CARD_LINES} more_")
    return section(f"*Firing alerts* ({len(lines)})\n" + "\n".join(shown))


def alerts_reply(news: AlertsReply) -> Reply:
    """One thread reply for what a notification changed, however many alerts it holds."""
    fired, resolved = news.fired, news.resolved
    blocks: list[dict[str, Any]] = []
    if fired:
        items = [_item(a.name, a.summary, a.severity, a.where) for a in fired]
        blocks.append(section(f"🔥 *{len(fired)} more alert(s) firing*\n" + "\n".join(items)))
    if resolved:
        items = [_item(a.name, a.summary, a.severity, a.where) for a in resolved]
        blocks.append(section(f"✅ *{len(resolved)} alert(s) resolved*\n" + "\n".join(items)))
    notes = []
    if news.more:
        notes.append(f"and {news.more} more (see the timeline)")
    if news.truncated:
        notes.append(f"Alertmanager left out {news.truncated} alerts (truncatedAlerts)")
    if news.clipped:
        notes.append("clipped to fit: " + escape("; ".join(news.clipped)))
    if notes:
        blocks.append(context(*notes))
    summary = f"{len(fired)} alert(s) firing, {len(resolved)} resolved"
    return {"text": fallback(summary), "blocks": blocks or [section(summary)]}
