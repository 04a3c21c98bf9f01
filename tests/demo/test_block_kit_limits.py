"""Everything the builders of ``handlers/blocks`` make fits Slack's limits, in every language
the bot speaks: Korean says the same in other lengths (and three bytes a character), with
people's longest titles and notes, and Slack refuses a message or view over its limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.i18n import ENGLISH, Language, Words, words_for
from sandbox.slack.blockkit import (
    MESSAGE_TEXT_MAX,
    message_problems,
    view_problems,
    view_too_large,
)
from tests.demo.blockkit_walk import LANGUAGES, blocks_of, messages

KOREAN = words_for(Language.KO)


def _problems(builder: str, output: Any) -> list[str]:
    if isinstance(output, dict) and output.get("type") == "modal":
        found = view_problems(output)
        if view_too_large(output):
            found.append("view_too_large")
    else:
        found = message_problems(blocks_of(output))
        text = output.get("text") if isinstance(output, dict) else None
        if text is not None and not 0 < len(text) <= MESSAGE_TEXT_MAX:
            found.append(f"text of {len(text)} characters")
    return [f"{builder}: {problem}" for problem in found]


@pytest.mark.parametrize("words", LANGUAGES, ids=lambda words: words.language.value)
def test_every_message_and_view_fits_slacks_limits(words: Words) -> None:
    problems = [
        problem
        for builder, outputs in messages(words).items()
        for output in outputs
        for problem in _problems(builder, output)
    ]
    assert not problems, "\n".join(problems)


def test_korean_is_cut_to_fit_no_more_often_than_english() -> None:
    """Where English fits whole, so does Korean: a clipped sentence (…) in a card or a
    reminder would hide what the bot meant to say."""
    english, korean = messages(ENGLISH), messages(KOREAN)
    cut = [
        f"{builder} #{n}"
        for builder, outputs in english.items()
        for n, (said, translated) in enumerate(zip(outputs, korean[builder], strict=True))
        if json.dumps(translated, ensure_ascii=False).count("…")
        > json.dumps(said, ensure_ascii=False).count("…")
    ]
    assert not cut, cut


def test_korean_is_what_a_channel_reads_about_an_incident() -> None:
    """The walk's incident builders really speak Korean (a catalogue that lost them would
    pass the limits in English twice)."""
    card = messages(KOREAN)["incident_card"][0]
    fields = [field["text"] for block in card for field in block.get("fields", [])]
    assert fields[0] == "*상태*\n🚨 미확인"
    assert fields[1] == "*심각도*\n🟠 Sev2 (30분 이내 대응)"
    reminder = messages(KOREAN)["reminder_reply"][0]
    assert "장애가 15분 00초 동안 아직 확인(ack)되지 않았습니다" in reminder["text"]
