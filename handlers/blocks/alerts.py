"""Alert text in incident cards and thread replies: user text escaped, lists bounded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import ENGLISH, Words
from bot.incidents.model import AlertLine, Severity
from bot.incidents.posts import AlertsReply
from handlers.blocks.text import Reply, clip, context, escape, fallback, section

# A card lists this many firing alerts; the rest are counted (a section holds 3,000 chars).
CARD_LINES = 10
LINE_MAX = 250


def _item(name: str, summary: str, severity: str, where: str = "", *, words: Words) -> str:
    label = Severity(severity).label if severity in set(Severity) else severity
    text = f"• *{escape(clip(name, 100))}*"
    if where:
        text += " " + words.gettext("on {where}", where=escape(clip(where, 80)))
    text += f" ({escape(label)})"
    if summary:
        text += f" — {escape(clip(summary, LINE_MAX))}"
    return text


def firing_alerts_section(lines: Sequence[AlertLine], *, words: Words = ENGLISH) -> dict[str, Any]:
    """The card's list of the alerts firing now, most severe first."""
    shown = [_item(a.name, a.summary, a.severity, words=words) for a in lines[:CARD_LINES]]
    if len(lines) > CARD_LINES:
        shown.append(words.gettext("_and {n} more_", n=len(lines) - CARD_LINES))
    title = words.gettext("*Firing alerts* ({n})", n=len(lines))
    return section(title + "\n" + "\n".join(shown))


def alerts_reply(news: AlertsReply, *, words: Words = ENGLISH) -> Reply:
    """One thread reply for what a notification changed, however many alerts it holds."""
    _ = words.gettext
    fired, resolved = news.fired, news.resolved
    blocks: list[dict[str, Any]] = []
    if fired:
        items = [_item(a.name, a.summary, a.severity, a.where, words=words) for a in fired]
        title = words.ngettext(
            "🔥 *{n} more alert(s) firing*", "🔥 *{n} more alert(s) firing*", len(fired)
        )
        blocks.append(section(title + "\n" + "\n".join(items)))
    if resolved:
        items = [_item(a.name, a.summary, a.severity, a.where, words=words) for a in resolved]
        title = words.ngettext(
            "✅ *{n} alert(s) resolved*", "✅ *{n} alert(s) resolved*", len(resolved)
        )
        blocks.append(section(title + "\n" + "\n".join(items)))
    notes = []
    if news.more:
        notes.append(_("and {n} more (see the timeline)", n=news.more))
    if news.truncated:
        notes.append(_("Alertmanager left out {n} alerts (truncatedAlerts)", n=news.truncated))
    if news.clipped:
        notes.append(_("clipped to fit: {what}", what=escape("; ".join(news.clipped))))
    if notes:
        blocks.append(context(*notes))
    summary = _(
        "{fired} alert(s) firing, {resolved} resolved", fired=len(fired), resolved=len(resolved)
    )
    return {"text": fallback(summary), "blocks": blocks or [section(summary)]}
