"""``locale: ko``: an incident declared from Slack is carded, answered and acknowledged in
Korean, in the team's words; IDs, commands, Sev labels and people's mentions as typed."""

from __future__ import annotations

import pytest

from bot.settings import SreConfig
from sandbox.slack import Message
from tests.slack.conftest import Bot
from tests.support.config import sandbox_config


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config({"locale": "ko"})


def _card(bot: Bot) -> Message:
    cards = bot.emulator.messages(bot.incidents_channel)
    if len(cards) != 1:
        raise LookupError(f"expected one card, found {[m.text for m in cards]}")
    return cards[0]


async def test_a_declared_incident_is_carded_and_answered_in_korean(bot: Bot) -> None:
    await bot.slack.slash("/incident", "create sev2 Checkout errors", user="U0AAA")
    card = await bot.emulator.wait_for(lambda e: _card(bot), description="the incident card")
    incident_id = card.blocks[0]["text"]["text"].split()[1]
    assert card.text == f"🚨 {incident_id} [Sev2] Checkout errors — 미확인"
    shown = str(card.blocks)
    for korean in ("*상태*", "🚨 미확인", "*심각도*", "30분 이내 대응", "*확인자*", "*선언*"):
        assert korean in shown, korean
    assert "(<@U0AAA>)" in shown  # who declared it, a mention
    labels = [b.text for b in bot.emulator.buttons(card.channel, card.ts)]
    assert labels == ["확인(ack)", "상태 변경", "해결"]

    answers = await bot.emulator.wait_for(lambda e: e.responses(), description="the answer")
    declared = f"*{incident_id}* [Sev2] Checkout errors"
    assert answers[0].body["text"] == (
        f"🚨 <#{bot.incidents_channel}>에 장애를 선언했습니다: {declared}"
    )

    await bot.slack.click(channel=card.channel, ts=card.ts, action_id="incident_ack", user="U0BBB")
    await bot.emulator.wait_for(
        lambda e: e.message(card.channel, card.ts).history, description="card update"
    )
    updated = str(bot.emulator.message(card.channel, card.ts).blocks)
    assert "👀 확인" in updated and "<@U0BBB> (" in updated and " 후)" in updated
    assert "*최근:* 확인(ack) · <@U0BBB>" in updated
    assert bot.emulator.violations == []
