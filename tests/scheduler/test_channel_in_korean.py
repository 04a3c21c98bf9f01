"""A workspace with ``locale: ko`` reads its incidents in Korean: the card, the reminder and
the escalation in its thread, and who took it once someone did; people stay mentions and
IDs, commands and Sev labels stay as typed (docs/glossary.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.incidents.model import Severity
from bot.settings import SreConfig
from tests.scheduler.conftest import ONCALL_CONFIG, World
from tests.support.config import sandbox_config

M = timedelta(minutes=1)


@pytest.fixture
def sre_config() -> SreConfig:
    return sandbox_config({**ONCALL_CONFIG, "locale": "ko"})


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        element["text"]["text"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def _fields(blocks: list[dict[str, Any]]) -> list[str]:
    return [field["text"] for block in blocks for field in block.get("fields", [])]


async def test_the_card_its_reminders_and_who_took_it_read_korean(world: World) -> None:
    created = await world.container.incidents.create(
        title="Qwen LLM failure", severity=Severity.SEV2, actor="U0EEE"
    )
    await world.deliver()
    channel = world.container.config.channels.incidents
    card = world.emulator.messages(channel)[-1]
    assert card.blocks[0]["text"]["text"] == f"🚨 {created.id} · 🟠 Sev2"
    fields = _fields(card.blocks)
    assert fields[0] == "*상태*\n🚨 미확인"
    assert fields[1] == "*심각도*\n🟠 Sev2 (30분 이내 대응)"
    assert fields[2] == "*확인자*\n_아직 없음_"
    assert fields[3].startswith("*선언*\n<!date^") and fields[3].endswith(" (<@U0EEE>)")
    assert _buttons(card.blocks) == ["확인(ack)", "상태 변경", "해결"]
    assert f"`/incident show {created.id}` · 타임라인, 메모, 이력" in str(card.blocks)
    assert "미확인" in card.text  # the notification's text too

    for minute in (15, 30):
        await world.at(minute * M)
    reminder, escalation = world.emulator.replies(channel, card.ts)
    assert reminder.text == (
        f"⏰ <@U0AAA>, *{created.id}* (Sev2) 장애가 15분 00초 동안 아직 확인(ack)되지 "
        "않았습니다: Qwen LLM failure"
    )
    assert escalation.text.startswith(
        f"🚨 *에스컬레이션 1*: *{created.id}* (Sev2, 30분 이내 대응) 장애가 30분 00초 동안 "
        "확인(ack)되지 않았습니다."
    ), escalation.text
    assert all(_buttons(m.blocks) == ["확인(ack)"] for m in (reminder, escalation))

    world.clock.set(world.clock.now() + 5 * M)
    await world.container.incidents.acknowledge(incident_id=created.id, actor="U0CCC")
    await world.deliver()

    reminder, escalation = world.emulator.replies(channel, card.ts)
    for message, what in ((reminder, "⏰ 리마인더"), (escalation, "🚨 에스컬레이션 1")):
        assert _buttons(message.blocks) == []
        assert message.text == (
            f"{what}: ✅ *{created.id}* (Sev2) 확인(ack): <@U0CCC> (35분 00초 후): Qwen LLM failure"
        )
    card = world.emulator.messages(channel)[-1]
    fields = _fields(card.blocks)
    assert fields[0] == "*상태*\n👀 확인"
    assert fields[2] == "*확인자*\n<@U0CCC> (35분 00초 후)"
    assert _buttons(card.blocks) == ["상태 변경", "해결"]
    assert "*최근:* 확인(ack) · <@U0CCC>" in str(card.blocks)
    assert world.emulator.violations == []
