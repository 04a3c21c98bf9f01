"""A run started in a channel the bot cannot post in: its message and
buttons go to the incidents channel, the requester is told, nothing waits unseen."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import SreConfig
from sandbox.slack import SlackEmulator
from sandbox.slack.emulator import DEFAULT_CHANNELS
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config(
        {
            "oncall": {"weekday": ["U0AAA", "U0BBB"], "weekend": ["U0DDD"]},
            "runbooks": {"approvers": ["U0AAA", "U0BBB", "U0DDD"]},
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    # chat.postMessage to a user ID lands in the app's DM with that person; the emulator
    # knows conversations by ID only, so that DM is declared here.
    async with SlackEmulator(channels={**DEFAULT_CHANNELS, "U0AAA": "dm-alice"}) as running:
        yield running


@pytest.mark.engine
async def test_a_run_started_where_the_bot_cannot_post_asks_in_the_incidents_channel(
    bot: Bot,
) -> None:
    """Issue 12 item 7: chat.postMessage says channel_not_found for the run's channel."""
    answer = await bot.slack.slash(
        "/runbook", "run qwen_restore_creative", user="U0AAA", channel="C0NOWHERE"
    )
    assert answer.status == 200
    await bot.emulator.wait_for(
        lambda e: [c for c in e.calls_to("chat.postMessage") if c.error == "channel_not_found"],
        description="the run's message refused",
    )
    (posted,) = await bot.emulator.wait_for(
        lambda e: [m for m in e.messages(bot.incidents_channel) if "RUN-" in m.text],
        description="the run's message in the incidents channel",
    )
    (run,) = await bot.container.runbooks.list_runs()
    assert run.id in posted.text
    # The run goes on after its message is out: its ask and its buttons follow.
    await bot.emulator.wait_for(
        lambda e: [
            m for m in e.replies(posted.channel, posted.ts) if "needs your approval" in m.text
        ],
        description="the approval ask under it",
    )
    buttons = await bot.emulator.wait_for(
        lambda e: (
            {b.action_id for b in e.buttons(posted.channel, posted.ts)}
            >= {"runbook_approve", "runbook_deny"}
        ),
        description="Approve and Deny on the run's message",
    )
    assert buttons
    told = await bot.emulator.wait_for(lambda e: e.messages("U0AAA"), description="a DM")
    assert run.id in told[0].text and bot.incidents_channel in told[0].text

    # The buttons work there, and the runbook's lock goes with the run.
    await bot.slack.click(
        channel=posted.channel, ts=posted.ts, action_id="runbook_deny", user="U0BBB"
    )
    await bot.emulator.wait_for(
        lambda e: "rejected" in str(e.message(posted.channel, posted.ts).blocks),
        description="the run's message showing it denied",
    )
    again = await bot.slack.slash(
        "/runbook", "run qwen_restore_creative", user="U0AAA", channel="C0ONCALL"
    )
    assert again.status == 200
    # Refused while a run holds the lock (a reply), else its own message in C0ONCALL.
    outcome = await bot.emulator.wait_for(
        lambda e: (
            e.responses(again.response_url)
            or [m for m in e.messages("C0ONCALL") if "RUN-" in m.text]
        ),
        description="the second run's message, or its refusal",
    )
    assert bot.emulator.responses(again.response_url) == [], outcome
    runs = await bot.container.runbooks.list_runs(active_only=False)
    assert len(runs) == 2 and runs[0].id != runs[1].id
