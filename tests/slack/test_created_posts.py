"""What ``/incident create`` owes Slack, the card and the reporter's answer, as the outbox
delivers it: both in one pass, each shown from what the create stored, the card current in
the end whatever happened before it went out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from bot.clock import FixedClock
from bot.incidents.model import IncidentStatus, Severity
from bot.outbox import PostKind
from bot.outbox.deliverer import MAX_BACKOFF
from bot.settings import SreConfig
from sandbox.slack import SlackEmulator
from storage import outbox
from storage.tables import PostRow
from tests.slack.conftest import Bot, running_bot
from tests.support.progress import eventually

DECLARED = datetime(2026, 10, 14, 1, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Seoul


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DECLARED)


@pytest.fixture
async def held(
    emulator: SlackEmulator,
    database_url: str,
    sre_config: SreConfig,
    serving_url: str,
    clock: FixedClock,
) -> AsyncIterator[Bot]:
    """The bot whose outbox makes only the passes a test asks for, on a clock it moves."""
    async with running_bot(
        emulator=emulator,
        database_url=database_url,
        sre_config=sre_config,
        serving_url=serving_url,
        clock=clock,
        delivering=False,
    ) as bot:
        yield bot


async def _declared(bot: Bot, user: str = "U0AAA") -> str:
    """``/incident create`` from Slack; the response_url its answer goes to, once stored."""
    answer = await bot.slack.slash("/incident", "create sev2 Checkout errors", user=user)
    assert answer.status == 200 and answer.response_url

    async def stored() -> bool:
        return len(await bot.container.incidents.list_incidents()) == 1

    await eventually(stored, within=30, description="the incident stored")
    return answer.response_url


async def _posts(bot: Bot, kind: str) -> list[outbox.PostRow]:
    async with bot.container.db.transaction() as session:
        return await outbox.of_kind(session, kind=kind)


@pytest.mark.engine
async def test_the_card_and_the_answer_go_out_in_one_pass(held: Bot) -> None:
    response_url = await _declared(held)
    deliverer = held.container.outbox
    assert deliverer is not None
    assert await deliverer.work_due() == 2
    (card,) = held.emulator.messages(held.incidents_channel)
    (incident,) = await held.container.incidents.list_incidents()
    assert card.text.startswith(f"🚨 {incident.id} [Sev2] Checkout errors")
    (reply,) = held.emulator.responses(response_url)
    assert f"Declared *{incident.id}* [Sev2] Checkout errors" in str(reply.body["text"])
    assert f"in <#{held.incidents_channel}>" in str(reply.body["text"])
    # Both recorded: the card's place on the incident, neither owed any more.
    assert incident.channel_id == card.channel and incident.message_ts == card.ts
    assert await deliverer.work_due() == 0


@pytest.mark.engine
async def test_a_card_acknowledged_before_it_went_out_shows_the_acknowledgement(
    held: Bot,
) -> None:
    incidents = held.container.incidents
    incident = await incidents.create(title="Payments down", severity=Severity.SEV2, actor="U0AAA")
    await incidents.acknowledge(incident_id=incident.id, actor="U0BBB")
    deliverer = held.container.outbox
    assert deliverer is not None
    await deliverer.drain(within=30)
    (card,) = held.emulator.messages(held.incidents_channel)
    assert "U0BBB" in str(card.blocks) and "acknowledged" in card.text.lower()
    stored = await incidents.get(incident_id=incident.id)
    assert stored.status is IncidentStatus.ACKNOWLEDGED and stored.message_ts == card.ts


@pytest.mark.engine
async def test_an_answer_waits_untried_while_its_card_cannot_go_out(
    held: Bot, clock: FixedClock
) -> None:
    held.emulator.fail("chat.postMessage", error="internal_error")
    response_url = await _declared(held)
    deliverer = held.container.outbox
    assert deliverer is not None
    await deliverer.work_due()
    # The card failed; the answer, taken with it, was given back without an attempt.
    assert held.emulator.messages(held.incidents_channel) == []
    assert held.emulator.responses(response_url) == []
    (answer,) = await _posts(held, PostKind.INCIDENT_CREATED_REPLY)
    assert answer.state == outbox.PENDING and answer.attempts == 0 and answer.lease_until is None
    (card,) = await _posts(held, PostKind.INCIDENT_CARD)
    assert card.attempts == 1 and card.last_error
    # Once the card is out (its retry is due after the outbox's first backoff), the answer
    # follows it, once, pointing at it.
    clock.advance(MAX_BACKOFF)
    await deliverer.drain(within=30)
    assert await _sent_both(held)
    (reply,) = held.emulator.responses(response_url)
    assert f"in <#{held.incidents_channel}>" in str(reply.body["text"])
    assert len(held.emulator.messages(held.incidents_channel)) == 1


async def _sent_both(bot: Bot) -> bool:
    posts = [
        *await _posts(bot, PostKind.INCIDENT_CARD),
        *await _posts(bot, PostKind.INCIDENT_CREATED_REPLY),
    ]
    return all(post.state == outbox.SENT for post in posts)


@pytest.mark.engine
async def test_an_answer_sent_again_after_a_crash_replaces_the_first(
    held: Bot, clock: FixedClock
) -> None:
    response_url = await _declared(held)
    deliverer = held.container.outbox
    assert deliverer is not None
    await deliverer.drain(within=30)
    (first,) = held.emulator.ephemerals(user="U0AAA")
    # As a process killed between Slack's answer and the record leaves it: the answer
    # taken (one attempt) and still owed, its lease run out.
    async with held.container.db.transaction() as session:
        await session.execute(
            update(PostRow)
            .where(col(PostRow.kind) == PostKind.INCIDENT_CREATED_REPLY)
            .values(state=outbox.PENDING, lease_until=clock.now(), attempts=1)
        )
    clock.advance(timedelta(seconds=1))
    assert await deliverer.work_due() == 1
    retried = held.emulator.responses(response_url)[-1]
    assert retried.status == 200 and retried.body.get("replace_original") is True
    # The reporter sees the one answer, not a second.
    (shown,) = held.emulator.ephemerals(user="U0AAA")
    assert shown.ts == first.ts and "Declared" in shown.text
    (answer,) = await _posts(held, PostKind.INCIDENT_CREATED_REPLY)
    assert answer.state == outbox.SENT
