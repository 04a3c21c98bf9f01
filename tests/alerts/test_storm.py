"""A storm: many notifications of few groups while Slack rate-limits one call in five."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlmodel import select

from sandbox.slack.records import RecordedCall
from storage import outbox
from storage.alerts import AlertStateRow
from tests.alerts.conftest import alert, incidents, notification, notifications, post
from tests.slack.conftest import Bot

GROUPS = 5
ROUNDS = 20  # 5 groups × 20 rounds = 100 notifications of 10 alerts each
DISTINCT = 14
LIMITED = ("chat.postMessage", "chat.update", "conversations.history", "conversations.replies")


def _round(group: int, round_: int) -> dict[str, Any]:
    """Four rounds in a row send the same group (repeats); every fourth round one alert
    joins the group's ten (so 14 distinct alerts per group)."""
    start = round_ // 4
    return notification(
        f"Storm{group}",
        [
            alert(f"g{group}-a{j}", summary=f"alert {j} of group {group}")
            for j in range(start, start + 10)
        ],
    )


def _same_request(a: RecordedCall, b: RecordedCall) -> bool:
    return a.method == b.method and json.dumps(a.args, sort_keys=True) == json.dumps(
        b.args, sort_keys=True
    )


@pytest.mark.engine
async def test_a_storm_makes_bounded_posts_and_every_429_is_retried_after_its_wait(
    bot: Bot,
) -> None:
    served = dict.fromkeys(LIMITED, 0)

    async def one_in_five(call: RecordedCall, result: dict[str, Any]) -> None:
        served[call.method] += 1
        if served[call.method] % 4 == 0:  # after four calls that went through, one 429
            bot.emulator.rate_limit(call.method, retry_after=1, times=1)

    for method in LIMITED:
        bot.emulator.on_call(method, one_in_five)
    for round_ in range(ROUNDS):
        answers = await asyncio.gather(
            *(post(bot.url, _round(group, round_)) for group in range(GROUPS))
        )
        assert {status for status, _ in answers} == {200}
    await bot.container.alert_work.drain(within=60)
    while True:
        await bot.delivered()
        async with bot.container.db.transaction() as session:
            if await outbox.count_pending(session) == 0:
                break

    # Every distinct alert recorded once, 5 incidents.
    stored = await notifications(bot)
    fired = [line["fingerprint"] for n in stored for line in n.news["fired"]]
    assert len(fired) == len(set(fired)) == GROUPS * DISTINCT
    async with bot.container.db.transaction() as session:
        states = list((await session.execute(select(AlertStateRow))).scalars())
    assert len(states) == GROUPS * DISTINCT and {s.status for s in states} == {"firing"}
    assert len(await incidents(bot)) == GROUPS

    # The stated bound (docs/operations.md): one card per group, one reply per notification that changed
    # something (the others post nothing), card edits at most one per such notification.
    posted = [c for c in bot.emulator.calls_to("chat.postMessage") if c.ok]
    updated = [c for c in bot.emulator.calls_to("chat.update") if c.ok]
    cards = bot.emulator.messages(bot.incidents_channel)
    assert len(cards) == GROUPS
    assert len(stored) == GROUPS * 5  # 1 opening + 4 joining notifications per group
    assert len(posted) == len(stored)  # 5 cards + 20 thread replies
    assert len(updated) <= len(stored)

    # Every 429 was retried, no sooner than its Retry-After.
    calls = bot.emulator.calls
    limited = [(i, c) for i, c in enumerate(calls) if c.status == 429]
    assert limited
    for i, refused in limited:
        retry = next((c for c in calls[i + 1 :] if _same_request(c, refused)), None)
        assert retry is not None, f"{refused.method} was not retried"
        assert retry.at - refused.at >= 1.0
    assert bot.emulator.violations == []
