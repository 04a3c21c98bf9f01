"""Durations as the configuration writes them: ``30s``, ``15m``, ``4h``, ``7d``."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.i18n import ENGLISH, Words

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse ``<number><unit>`` (units s, m, h, d, w) into a positive timedelta.

    Raises ValueError with a message fit to show an operator.
    """
    match = _DURATION.match(str(text))
    if match is None:
        raise ValueError(
            f"invalid duration {text!r}: write a number and a unit, e.g. 30s, 15m, 4h, 7d"
        )
    amount, unit = int(match.group(1)), match.group(2)
    if amount == 0:
        raise ValueError(f"invalid duration {text!r}: must be greater than zero")
    return timedelta(seconds=amount * _UNIT_SECONDS[unit])


def format_duration(value: timedelta, *, words: Words = ENGLISH) -> str:
    """The shortest exact ``<number><unit>`` form of a duration (``1800s`` → ``30m``), its
    unit in ``words``' language (Korean ``30분``)."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds and seconds % size == 0:
            return _unit(unit, seconds // size, words)
    return _unit("s", seconds, words)


def _unit(unit: str, n: int, words: Words) -> str:
    return {
        "w": words.pgettext("duration", "{n}w", n=n),
        "d": words.pgettext("duration", "{n}d", n=n),
        "h": words.pgettext("duration", "{n}h", n=n),
        "m": words.pgettext("duration", "{n}m", n=n),
        "s": words.pgettext("duration", "{n}s", n=n),
    }[unit]


def humanize(value: timedelta, *, words: Words = ENGLISH) -> str:
    """A short human reading of a duration: ``1h 05m``, ``4m 12s``, ``2d 3h`` (Korean
    ``1시간 05분``)."""
    seconds = max(0, int(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    # Minutes after hours and seconds after minutes keep two digits: 1h 05m, 4m 07s.
    two_minutes, two_seconds = f"{minutes:02d}", f"{secs:02d}"
    if days:
        return words.pgettext("duration", "{days}d {hours}h", days=days, hours=hours)
    if hours:
        return words.pgettext("duration", "{hours}h {minutes}m", hours=hours, minutes=two_minutes)
    if minutes:
        return words.pgettext(
            "duration", "{minutes}m {seconds}s", minutes=minutes, seconds=two_seconds
        )
    return words.pgettext("duration", "{n}s", n=secs)
