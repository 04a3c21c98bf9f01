"""Stopping the alerts worker while it works a notification: halfway (its incident opened,
the rest waiting for the database) and as it records the notification done. Either way the
stop returns, nothing of the worker runs on, the notification stays owed, and the next
process finishes it: one incident, one card in Slack.

The alerts job calls nothing outside the database, so "mid-lease" here is mid-work: the
notification leased and its incident stored, the next write waiting behind another writer.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from sandbox.slack import SlackEmulator
from storage import alerts
from storage.alerts import AlertGroupRow, AlertNotificationRow
from storage.db import Database
from storage.tables import IncidentRow
from tests.alerts.conftest import alert, notification, post
from tests.support.holds import OtherWriter, tasks_left
from tests.support.servers import serving
from tests.work.conftest import Processes

pytestmark = pytest.mark.engine

STARTED = datetime(2026, 10, 14, 3, 0, tzinfo=UTC)  # a Wednesday, noon in Seoul
PAST_THE_LEASE = timedelta(minutes=10)  # a notification's lease: schedule.post_timeout
INCIDENTS = "C0INCIDENTS"


def _opening_the_incident(statement: str) -> bool:
    return statement.startswith("INSERT INTO incidents")


def _reading_its_runbooks(statement: str) -> bool:
    """The last read before the notification is recorded done (it names no runbook)."""
    return "FROM alert_runbooks" in statement


@pytest.mark.parametrize(
    ("moment", "after", "table"),
    [
        ("its incident opened", _opening_the_incident, AlertGroupRow.__tablename__),
        ("its record waits", _reading_its_runbooks, AlertNotificationRow.__tablename__),
    ],
)
async def test_a_stopped_alerts_worker_leaves_its_notification_to_the_next_process(
    processes: Processes, emulator: SlackEmulator, moment: str, after: object, table: str
) -> None:
    first = processes.start(clock=FixedClock(STARTED))
    async with serving(first.web_app(slack=False)) as url:
        status, _ = await post(url, notification("Checkout", [alert("c1", name="CheckoutErrors")]))
    assert status == 200
    writer = OtherWriter(first.db, tables=[table])
    writer.take_after(after)  # type: ignore[arg-type]
    before = asyncio.all_tasks()
    first.alert_work.start()
    await writer.waited_on()
    stopping = asyncio.create_task(first.alert_work.stop(within=30))
    await writer.given_up()
    writer.close()
    await asyncio.wait_for(stopping, 60)

    assert not tasks_left(before), "still running after the alerts worker's stop"
    [owed] = await _notifications(first.db)
    assert owed.state == alerts.PENDING  # neither done nor lost
    [opened] = await _incidents(first.db)
    # Where the stop landed: before the group learnt its incident, or after all but the record.
    linked = await _group_incident(first.db)
    assert linked == (None if moment == "its incident opened" else opened.id)

    second = processes.start(clock=FixedClock(STARTED + PAST_THE_LEASE))
    assert second.outbox is not None
    assert await second.alert_work.drain(within=60) == 1
    await second.outbox.drain(within=30)

    [done] = await _notifications(second.db)
    assert done.state == alerts.DONE
    [incident] = await _incidents(second.db)
    [card] = emulator.messages(INCIDENTS)
    assert incident.message_ts == card.ts and incident.id in card.text
    assert len(emulator.calls_to("chat.postMessage")) == 1
    assert await second.alert_work.drain(within=30) == 0  # finished: nothing more to take


async def _notifications(db: Database) -> list[AlertNotificationRow]:
    async with db.transaction() as session:
        return list((await session.execute(select(AlertNotificationRow))).scalars())


async def _incidents(db: Database) -> list[IncidentRow]:
    async with db.transaction() as session:
        return list((await session.execute(select(IncidentRow))).scalars())


async def _group_incident(db: Database) -> str | None:
    async with db.transaction() as session:
        [group] = (await session.execute(select(AlertGroupRow))).scalars()
        return group.incident_id
