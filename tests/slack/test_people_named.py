"""People in Slack are mentions, never raw user IDs (issue 19, "People by name"): the
postmortem draft and the runbook run's message after an approval, a denial, a cancel."""

from __future__ import annotations

import re

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.model import Severity
from bot.settings import SreConfig
from handlers.people import SlackDirectory
from sandbox.slack import Message, SlackEmulator
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config

_MENTION = re.compile(r"<@U[A-Z0-9]+>")
_RAW_ID = re.compile(r"\bU0[A-Z0-9]{3,}\b")


def raw_ids(message: Message) -> list[str]:
    """User IDs a person would read as IDs: everything shown but the mentions."""
    return _RAW_ID.findall(_MENTION.sub("", f"{message.text} {message.blocks}"))


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config(
        {
            "oncall": {"weekday": ["U0AAA", "U0BBB"], "weekend": ["U0DDD"]},
            "runbooks": {"approvers": ["U0AAA", "U0BBB", "U0DDD"]},
        }
    )


async def test_the_postmortem_draft_mentions_people(bot: Bot) -> None:
    incidents = bot.container.incidents
    # A mention someone typed in the title stays their text: it must not start pinging.
    incident = await incidents.create(
        title="Checkout down <@U0DDD>", severity=Severity.SEV2, actor="U0AAA"
    )
    await incidents.acknowledge(incident_id=incident.id, actor="U0CCC")
    await incidents.add_note(incident_id=incident.id, text="rolled back", actor="U0BBB")
    await incidents.resolve(incident_id=incident.id, resolution="rollback", actor="U0BBB")
    await bot.delivered()

    await bot.slack.slash("/incident", f"postmortem {incident.id}", user="U0AAA")
    (card,) = bot.emulator.messages(bot.incidents_channel)
    (draft,) = await bot.emulator.wait_for(
        lambda e: [m for m in e.replies(card.channel, card.ts) if "Postmortem draft" in m.text],
        description="the draft in the card's thread",
    )

    shown = str(draft.blocks)
    assert "created by <@U0AAA>" in shown
    assert "acknowledged by <@U0CCC>" in shown
    assert "note by <@U0BBB>" in shown
    assert "&lt;@U0DDD&gt;" in shown and "<@U0DDD>" not in shown
    assert set(raw_ids(draft)) == {"U0DDD"}  # only the title's typed text
    assert f"/incident rootcause {incident.id}" in shown
    assert bot.emulator.violations == []


async def _run_message(bot: Bot, user: str) -> Message:
    await bot.slack.slash("/runbook", "run qwen_restore_creative", user=user, channel="C0ONCALL")
    (posted,) = await bot.emulator.wait_for(
        lambda e: [
            m
            for m in e.messages("C0ONCALL")
            if "RUN-" in m.text
            and {b.action_id for b in e.buttons(m.channel, m.ts)} >= {"runbook_approve"}
        ],
        description="the run's message with Approve/Deny",
    )
    return posted


@pytest.mark.parametrize(
    ("action", "shown"),
    [("runbook_approve", "approved by <@U0BBB>"), ("runbook_deny", "denied by <@U0BBB>")],
)
async def test_a_decided_run_names_the_approver_by_mention(
    bot: Bot, action: str, shown: str
) -> None:
    posted = await _run_message(bot, "U0AAA")
    await bot.slack.click(channel=posted.channel, ts=posted.ts, action_id=action, user="U0BBB")
    decided = await bot.emulator.wait_for(
        lambda e: [m for m in [e.message(posted.channel, posted.ts)] if shown in str(m.blocks)],
        description=f"the run's message saying {shown}",
    )
    assert raw_ids(decided[0]) == []
    assert bot.emulator.violations == []


async def test_a_cancelled_run_names_who_cancelled_by_mention(bot: Bot) -> None:
    posted = await _run_message(bot, "U0AAA")
    (run,) = await bot.container.runbooks.list_runs()
    await bot.slack.slash("/runbook", f"cancel {run.id}", user="U0BBB", channel="C0ONCALL")
    cancelled = await bot.emulator.wait_for(
        lambda e: [
            m
            for m in [e.message(posted.channel, posted.ts)]
            if "cancelled by <@U0BBB>" in str(m.blocks)
        ],
        description="the run's message saying who cancelled it",
    )
    assert raw_ids(cancelled[0]) == []
    assert bot.emulator.violations == []


async def test_slack_names_people_once_and_says_nothing_of_strangers(
    emulator: SlackEmulator,
) -> None:
    directory = SlackDirectory(AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url))
    assert await directory.display_name("U0AAA") == "Alice"
    assert await directory.display_name("U0AAA") == "Alice"
    assert len(emulator.calls_to("users.info")) == 1  # kept, not asked again
    assert await directory.display_name("U0NOBODY") is None
    emulator.fail("users.info")
    assert await directory.display_name("U0BBB") is None  # a name is a courtesy, not a need
