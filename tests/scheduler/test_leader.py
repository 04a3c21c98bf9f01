"""Leadership by the database lease: one leader at a time, a stand-by takes over once the
leader's lease lapses or it steps down."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from scheduler.leader import DatabaseLeader
from storage.db import Database

pytestmark = pytest.mark.engine

TTL = timedelta(seconds=15)


async def test_a_stand_by_leads_once_the_leaders_lease_lapses(
    db: Database, clock: FixedClock
) -> None:
    first = DatabaseLeader(db=db, clock=clock, ttl=TTL)
    second = DatabaseLeader(db=db, clock=clock, ttl=TTL)

    assert await first.hold()
    assert not await second.hold()  # one leader at a time
    clock.advance(TTL / 3)
    assert await first.hold()  # renewed within its lease
    clock.advance(TTL - timedelta(seconds=1))
    assert not await second.hold()  # the renewal still holds

    clock.advance(TTL)  # the leader died: nobody renewed
    assert await second.hold()
    assert not await first.hold()  # back, it stands by


async def test_a_leader_that_steps_down_hands_over_at_once(db: Database, clock: FixedClock) -> None:
    first = DatabaseLeader(db=db, clock=clock, ttl=TTL)
    second = DatabaseLeader(db=db, clock=clock, ttl=TTL)
    assert await first.hold()

    await first.release()

    assert await second.hold()
    assert not await first.hold()
