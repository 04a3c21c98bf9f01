"""Stopping the outbox worker: while Slack has taken a post and not yet answered, and while
the post's record waits for the database. Either way the stop returns, nothing of the worker
runs on, the post stays owed, and the next process records it without posting it again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.incidents.model import Severity
from bot.incidents.service import card_key
from sandbox.slack import RecordedCall, SlackEmulator
from storage import outbox
from storage.tables import PostRow
from tests.support.holds import OtherWriter, tasks_left
from tests.work.conftest import Processes

pytestmark = pytest.mark.engine

STARTED = datetime(2026, 10, 14, 3, 0, tzinfo=UTC)  # a Wednesday, noon in Seoul
PAST_THE_LEASE = timedelta(minutes=10)  # the outbox's lease is under a minute
INCIDENTS = "C0INCIDENTS"


@pytest.mark.parametrize("moment", ["Slack answers late", "the record waits for the database"])
async def test_a_stopped_outbox_leaves_its_post_to_the_next_process_which_posts_it_once(
    processes: Processes, emulator: SlackEmulator, moment: str
) -> None:
    clock = FixedClock(STARTED)
    first = processes.start(clock=clock)
    assert first.outbox is not None
    incident = await first.incidents.create(
        title="Checkout errors", severity=Severity.SEV2, actor="U0AAA"
    )
    writer = OtherWriter(first.db, tables=[PostRow.__tablename__])
    posted = asyncio.Event()
    if moment == "Slack answers late":
        emulator.stall("chat.postMessage", 3600)  # posted, and the answer held back
    else:

        async def hold_the_database(call: RecordedCall, result: object) -> None:
            await writer.take()  # before Slack answers: the post's record will queue for it

        emulator.on_call("chat.postMessage", hold_the_database)

    async def slack_posted(call: RecordedCall, result: object) -> None:
        posted.set()

    emulator.on_call("chat.postMessage", slack_posted)
    before = asyncio.all_tasks()
    first.outbox.start()
    await asyncio.wait_for(posted.wait(), 60)
    if moment == "Slack answers late":
        await first.outbox.stop(within=30)
    else:
        await writer.waited_on()
        stopping = asyncio.create_task(first.outbox.stop(within=30))
        await writer.given_up()  # the stop's cancel reached the call that waits
        writer.release()
        await asyncio.wait_for(stopping, 60)
    writer.close()
    emulator.clear_hooks()

    assert not tasks_left(before), "still running after the outbox's stop"
    [card] = emulator.messages(INCIDENTS)
    async with first.db.transaction() as session:
        row = await outbox.get(session, card_key(incident.id))
    assert row is not None and row.state == outbox.PENDING  # owed: neither sent nor lost

    clock_after = FixedClock(STARTED + PAST_THE_LEASE)
    second = processes.start(clock=clock_after)
    assert second.outbox is not None
    assert await second.outbox.drain(within=30) == 1

    assert emulator.messages(INCIDENTS) == [card], "the card was posted again"
    assert len(emulator.calls_to("chat.postMessage")) == 1
    async with second.db.transaction() as session:
        row = await outbox.get(session, card_key(incident.id))
    assert row is not None and row.state == outbox.SENT and row.ts == card.ts
    # The card the incident remembers is the one in Slack: its buttons and edits work.
    assert (await second.incidents.get(incident_id=incident.id)).message_ts == card.ts
