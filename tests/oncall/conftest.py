"""Shared helpers for the pure on-call tests: local wall times and a rotation factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.oncall import Rotation, local_instant

WEEKDAY = ("U0AAA", "U0BBB", "U0CCC")
WEEKEND = ("U0DDD", "U0EEE")


@pytest.fixture
def wall() -> Callable[[str, str], datetime]:
    """``wall("Europe/Berlin", "2025-03-28 16:59")`` → that local wall time as a UTC instant."""

    def build(zone: str, text: str) -> datetime:
        naive = datetime.strptime(text, "%Y-%m-%d %H:%M")
        return local_instant(naive.date(), naive.time(), ZoneInfo(zone))

    return build


@pytest.fixture
def make_rotation() -> Callable[..., Rotation]:
    """A rotation of three weekday and two weekend people in the named zone
    (``rotation.people(pool)`` gives them back in order)."""

    def build(zone: str, handoff: str = "FRI 17:00") -> Rotation:
        return Rotation(weekday=WEEKDAY, weekend=WEEKEND, zone=ZoneInfo(zone), handoff=handoff)

    return build
