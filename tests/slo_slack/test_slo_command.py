"""``/slo`` over real HTTP: signed slash commands in, answers through ``response_url`` out."""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.slack import SlackEmulator
from tests.slo_slack.conftest import SloBot

USER = "U0AAA"


async def _ask(bot: SloBot, text: str) -> dict[str, Any]:
    """Run ``/slo text``; check the empty ack came within 3 s; return the follow-up body."""
    sent = await bot.slack.slash("/slo", text, user=USER)
    assert sent.status == 200
    assert sent.text == ""  # acked with no text: the answer follows via response_url
    assert sent.elapsed < 3.0
    url = sent.response_url

    def answered(emulator: SlackEmulator) -> Any:
        return emulator.responses(url)

    (posted,) = await bot.emulator.wait_for(answered, timeout=20, description="/slo answer")
    assert posted.status == 200, posted.answer
    body: dict[str, Any] = posted.body
    return body


def _shown(body: dict[str, Any]) -> str:
    """Everything a reader sees: the fallback text and every text inside the blocks."""
    return str(body.get("text", "")) + "\n" + json.dumps(body.get("blocks", []), ensure_ascii=False)


async def test_check_is_blocked_by_the_exhausted_slo(slo_bot: SloBot) -> None:
    body = await _ask(slo_bot, "check")
    shown = _shown(body)
    assert body["response_type"] == "in_channel"
    assert "Deployments blocked" in shown
    assert "llm_balanced_latency" in shown
    assert "93.50%" in shown  # 187 of 200 fast enough; 6.5% bad against 5% allowed
    assert "budget overspent (1.30× spent)" in shown and "-30.00%" not in shown
    assert "Low budget" in shown and "LLM Creative Mode Latency" in shown
    assert "allowed" not in shown.lower()
    assert slo_bot.emulator.violations == []


async def test_report_follows_the_guide(slo_bot: SloBot) -> None:
    body = await _ask(slo_bot, "report")
    shown = _shown(body)
    assert body["response_type"] == "in_channel"
    assert body["blocks"][0]["text"]["text"] == "SLO & Error Budget Report"
    for title in (
        "API Availability",
        "LLM Fast Mode Latency (p95)",
        "LLM Balanced Mode Latency (p95)",
        "LLM Creative Mode Latency (p95)",
        "RL Reward Stability",
    ):
        assert title in shown
    for label in ("Target", "Actual", "Error Budget Used", "Error Budget Left", "Status"):
        assert f"*{label}*" in shown
    # API availability: 2,519 failures of 4,320,000 requests, 4,320 allowed.
    assert "4,320,000" in shown and "2,519" in shown and "41.69%" in shown
    assert "Error budget exhausted (llm_balanced_latency) - Deployments blocked" in shown
    # Overspent: 6.5% slow against 5% allowed; never a negative percentage or count left.
    assert "*Error Budget Left*\\nnone (1.30× spent)" in shown
    assert "*Slow Requests Left*\\nnone (30,240 over)" in shown
    assert not re.search(r"-\d[\d.,]*%", shown), shown
    assert slo_bot.emulator.violations == []


async def test_one_slo_shows_its_burn_rates(slo_bot: SloBot) -> None:
    body = await _ask(slo_bot, "llm_creative_latency")
    shown = _shown(body)
    assert body["response_type"] == "ephemeral"
    assert "LLM Creative Mode Latency (p95)" in shown and "warning" in shown
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d"):
        assert f"*{window}*" in shown
    # 4 of 100 slow each minute and 5 every fifth minute: 4.2% against a 5% budget.
    assert "0.84×" in shown
    assert "Burn-rate alerts" in shown
    assert slo_bot.emulator.violations == []


async def test_unknown_slo_is_refused_privately_with_the_known_names(slo_bot: SloBot) -> None:
    body = await _ask(slo_bot, "nosuch")
    shown = _shown(body)
    assert body["response_type"] == "ephemeral"
    assert "No SLO named 'nosuch'" in shown
    assert "api_availability" in shown and "rl_reward_stability" in shown
    assert slo_bot.emulator.messages("C0GENERAL") == []
    assert slo_bot.emulator.violations == []


async def test_empty_text_and_help_explain_the_command(slo_bot: SloBot) -> None:
    for text in ("", "help"):
        body = await _ask(slo_bot, text)
        assert body["response_type"] == "ephemeral"
        assert "/slo check" in _shown(body) and "llm_fast_latency" in _shown(body)


async def test_extra_words_are_refused(slo_bot: SloBot) -> None:
    body = await _ask(slo_bot, "check now")
    assert body["response_type"] == "ephemeral"
    assert "takes no further words" in _shown(body)


async def test_prometheus_unreachable_is_never_allowed(blind_bot: SloBot) -> None:
    body = await _ask(blind_bot, "check")
    shown = _shown(body)
    assert "data unavailable" in shown.lower()
    assert "connection refused" in shown
    assert "allowed" not in shown.lower()
    assert "blocked" not in body["text"].lower()  # it cannot tell; it does not claim a block


async def test_report_without_prometheus_shows_no_numbers(blind_bot: SloBot) -> None:
    body = await _ask(blind_bot, "report")
    shown = _shown(body)
    assert shown.count("Data unavailable") == 5
    assert "Error Budget Left" not in shown and "100.00%" not in shown
    assert "Cannot tell if deployments are safe" in shown
    assert "allowed" not in shown.lower()
    assert blind_bot.emulator.violations == []
