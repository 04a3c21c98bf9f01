"""A card Slack refuses in its channel (the bot removed, the channel archived): it goes to
the fallback, the reporter is told where and why, the operator sees it on /metrics, and
once a person fixes the channel the refused post lands there."""

from __future__ import annotations

import json

import aiohttp

from bot.clock import FixedClock
from bot.outbox.deliverer import REFUSED_EVERY
from bot.settings import SreConfig
from sandbox.slack import SlackEmulator
from tests.slack.conftest import Bot, running_bot
from tests.support.clock import QUIET_START
from tests.support.config import sandbox_config

ROTATION = {"oncall": {"weekday": ["U0AAA", "U0BBB"], "weekend": ["U0DDD"]}}


async def _metrics(bot: Bot) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/metrics") as response:
        return await response.text()


async def _answer(bot: Bot, response_url: str | None) -> str:
    posts = await bot.emulator.wait_for(
        lambda e: e.responses(response_url), description="the reporter's answer"
    )
    return json.dumps(posts[0].body, ensure_ascii=False)


async def _retried(bot: Bot, clock: FixedClock, channel: str, marker: str) -> None:
    """The channel is fixed: after the slow retry's wait the refused post lands there."""
    bot.emulator.reopen(channel)
    assert bot.container.outbox is not None
    await bot.container.outbox.work_due()
    assert not [m for m in bot.emulator.messages(channel) if marker in m.text], (
        "retried before its slow schedule"
    )
    clock.advance(REFUSED_EVERY)
    await bot.container.outbox.work_due()
    await bot.emulator.wait_for(
        lambda e: [m for m in e.messages(channel) if marker in m.text],
        description=f"the refused post in {channel}",
    )


async def test_a_card_the_incidents_channel_refuses_goes_to_whoever_is_paged(
    emulator: SlackEmulator, database_url: str, serving_url: str
) -> None:
    clock = FixedClock(QUIET_START)
    async with running_bot(
        emulator=emulator,
        database_url=database_url,
        sre_config=sandbox_config(ROTATION),
        serving_url=serving_url,
        clock=clock,
    ) as bot:
        channel = bot.incidents_channel
        emulator.remove_bot(channel)
        answer = await bot.slack.slash(
            "/incident", "create sev2 checkout is down", user="U0CCC", channel="C0GENERAL"
        )
        assert answer.status == 200
        paged = await bot.container.oncall.who_is_paged(clock.now())
        assert paged is not None
        (card,) = await emulator.wait_for(
            lambda e: [m for m in e.messages(paged) if "checkout is down" in m.text],
            description="the card in the paged person's DM",
        )
        (incident,) = await bot.container.incidents.list_incidents()
        assert incident.id in card.text
        told = await _answer(bot, answer.response_url)
        assert f"Slack refused the card in <#{channel}>: the bot is not in that channel" in told
        assert "direct message" in told and "invite the bot" in told
        assert f"in <#{channel}>." not in told  # never "Declared … in #incidents"
        stored = await bot.container.incidents.get(incident_id=incident.id)
        assert stored.channel_id == paged  # acks and replies find the card where it is
        assert 'artisan_sre_slack_refusals_total{reason="not_in_channel"}' in await _metrics(bot)

        await _retried(bot, clock, channel, incident.id)
        (late,) = [m for m in emulator.messages(channel) if incident.id in m.text]
        assert "direct message" in late.text


async def test_a_card_refused_everywhere_is_still_recorded_and_lands_once_unarchived(
    emulator: SlackEmulator, database_url: str, serving_url: str, sre_config: SreConfig
) -> None:
    """No rotation: nobody to DM, so the card waits for its channel; the reporter is told."""
    clock = FixedClock(QUIET_START)
    async with running_bot(
        emulator=emulator,
        database_url=database_url,
        sre_config=sre_config,
        serving_url=serving_url,
        clock=clock,
    ) as bot:
        channel = bot.incidents_channel
        emulator.archive(channel)
        answer = await bot.slack.slash(
            "/incident", "create sev3 search is slow", user="U0CCC", channel="C0GENERAL"
        )
        assert answer.status == 200
        told = await _answer(bot, answer.response_url)
        (incident,) = await bot.container.incidents.list_incidents()
        assert f"Slack refused the card in <#{channel}>: that channel is archived" in told
        assert (
            f"could not be posted anywhere, but the incident is recorded as *{incident.id}*" in told
        )
        assert "unarchive it" in told
        assert 'artisan_sre_slack_refusals_total{reason="is_archived"}' in await _metrics(bot)

        await _retried(bot, clock, channel, "search is slow")
        stored = await bot.container.incidents.get(incident_id=incident.id)
        assert stored.channel_id == channel
