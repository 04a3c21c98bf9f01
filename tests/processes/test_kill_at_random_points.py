"""SIGKILL at random points of a run of 100 ``/incident create`` (issue 12, fault suite):
two bots die mid-run, each after a seeded random number of cards reached Slack; after the
last restart the database and the emulator's records show nothing owed lost or doubled."""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter
from typing import Any

from sandbox.slack import RecordedCall, SlackDriver, SlackEmulator
from tests.processes.conftest import Process, free_port, wait_ready
from tests.processes.test_kill_during_creates import SECRET, _card_keys, _stored

BATCHES = 4
PER_BATCH = 25


def _killer(bot: Process, *, after_cards: int | None) -> Any:
    """A hook that SIGKILLs ``bot`` once Slack has posted that many cards (None: never)."""
    cards = 0

    async def kill(call: RecordedCall, result: dict[str, Any]) -> None:
        nonlocal cards
        if call.args.get("thread_ts") is None and "card:" in str(call.args.get("metadata")):
            cards += 1
            if cards == after_cards and bot.process.returncode is None:
                bot.process.send_signal(signal.SIGKILL)

    return kill


async def test_kills_at_random_points_of_a_hundred_creates_lose_and_double_nothing(
    process_env: dict[str, str], emulator: SlackEmulator, start: Any
) -> None:
    chance = random.Random(12)
    port = free_port()
    env = {**process_env, "PORT": str(port), "SLACK_SIGNING_SECRET": SECRET}
    url = f"http://127.0.0.1:{port}"
    lives = 0

    async def a_bot() -> Process:
        nonlocal lives
        lives += 1
        bot: Process = await start(f"bot-{lives}", "serve", "--with-scheduler", env=env)
        await wait_ready(url)
        return bot

    bot = await a_bot()
    for batch in range(BATCHES):
        doomed = batch in (0, 2)  # two of the four batches end in a SIGKILL
        kill_at = chance.randint(2, 15) if doomed else None
        emulator.on_call("chat.postMessage", _killer(bot, after_cards=kill_at))
        async with SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) as slack:
            await asyncio.gather(
                *(
                    slack.slash("/incident", f"create sev4 op {batch}-{n}", user="U0AAA")
                    for n in range(PER_BATCH)
                ),
                return_exceptions=True,  # a request the kill cut off gets no answer
            )
        emulator.clear_hooks()
        if doomed:
            try:  # the cards still on their way reach the kill point
                await asyncio.wait_for(bot.process.wait(), 20)
            except TimeoutError:
                bot.kill()  # fewer cards than that: killed here, a random point all the same
                await bot.process.wait()
            bot = await a_bot()

    # Creates go on after their ack: read once the count stops moving.
    incidents, answers = await _stored(process_env["DATABASE_URL"])
    for _ in range(40):
        await asyncio.sleep(1.5)
        again, answers = await _stored(process_env["DATABASE_URL"])
        if len(again) == len(incidents):
            break
        incidents = again
    expected = {f"card:{row.id}" for row in incidents}
    await emulator.wait_for(
        lambda e: (
            set(_card_keys(e)) >= expected
            and all(e.responses(str(a.detail["response_url"])) for a in answers)
        ),
        timeout=40,
        description="a card and an answer for every stored incident",
    )
    await asyncio.sleep(2)  # anything sent twice would show by now
    await bot.stop()
    assert lives == 3
    titles = Counter(row.title for row in incidents)
    assert all(count == 1 for count in titles.values()), titles  # one incident per request
    assert len(incidents) >= PER_BATCH * (BATCHES - 2)  # the batches nobody killed
    cards = _card_keys(emulator)
    assert set(cards) == expected and all(n == 1 for n in cards.values()), cards
    assert len(answers) == len(incidents)
    delivered = [len(emulator.responses(str(a.detail["response_url"]))) for a in answers]
    assert delivered == [1] * len(answers)
    incidents, _ = await _stored(process_env["DATABASE_URL"])
    shown = {m.ts for m in emulator.messages("C0INCIDENTS")}
    assert all(row.message_ts in shown for row in incidents)
