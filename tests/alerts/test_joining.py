"""One failure, one incident: an alert group about something an open incident is already
about joins that incident (sre.yaml ``incidents.join``) instead of opening its own."""

from __future__ import annotations

import pytest

from bot.incidents.model import Severity
from tests.alerts.conftest import alert, incidents, notification, post, settled
from tests.slack.conftest import Bot

QWEN = {"model": "qwen"}


async def _downshift_incident(bot: Bot) -> str:
    """The incident the health probes' runbook opens when Qwen fails (a Sev3 here, so a
    critical alert joining it has something to raise)."""
    incident = await bot.container.incidents.create(
        title="Qwen LLM failure (creative downshifted to balanced)",
        severity=Severity.SEV3,
        actor="health-probe",
        components=["LLM", "Qwen"],
    )
    await bot.delivered()
    return incident.id


def _thread(bot: Bot) -> list[str]:
    (card,) = bot.emulator.messages(bot.incidents_channel)
    return [m.text for m in bot.emulator.replies(card.channel, card.ts) if m.ts != card.ts]


@pytest.mark.engine
async def test_the_qwen_alert_joins_the_downshift_incident_and_raises_it(bot: Bot) -> None:
    incident_id = await _downshift_incident(bot)
    unhealthy = alert("q1", name="QwenModelUnhealthy", severity="critical", labels=QWEN)

    status, _ = await post(bot.url, notification("QwenModelUnhealthy", [unhealthy]))
    assert status == 200
    await settled(bot)

    [row] = await incidents(bot)  # joined: no second incident, no second card
    assert row.id == incident_id and row.severity == "sev2"
    assert row.components == ["LLM", "Qwen"]  # "qwen" is Qwen
    (card,) = bot.emulator.messages(bot.incidents_channel)
    card_now = str(bot.emulator.message(card.channel, card.ts).blocks)
    assert "Firing alerts* (1)" in card_now and "QwenModelUnhealthy" in card_now, card_now
    joined = [t for t in _thread(bot) if t.startswith("joined: ")]
    assert joined == ["joined: Alert QwenModelUnhealthy on q1 (something is wrong) (Sev2)"]
    stored = await bot.container.incidents.get(incident_id=incident_id)
    assert [e.action for e in stored.timeline].count("joined") == 1
    assert ("severity changed", "Sev3 → Sev2") in [(e.action, e.note) for e in stored.timeline]

    # The group's later alerts go to the incident it joined, as to one it opened.
    again = alert("q2", name="QwenModelUnhealthy", severity="critical", labels=QWEN)
    await post(bot.url, notification("QwenModelUnhealthy", [unhealthy, again]))
    await settled(bot)
    assert len(await incidents(bot)) == 1
    assert any("1 alert(s) firing" in t for t in _thread(bot)), _thread(bot)


async def test_an_alert_about_something_else_or_after_the_resolve_opens_its_own(
    bot: Bot,
) -> None:
    incident_id = await _downshift_incident(bot)
    reward = alert("r1", name="RLRewardRunaway", severity="critical", labels={"service": "rl"})
    await post(bot.url, notification("RLRewardRunaway", [reward]))
    await settled(bot)
    assert len(await incidents(bot)) == 2  # RL is not the LLM's trouble

    await bot.container.incidents.resolve(
        incident_id=incident_id, resolution="Qwen restarted", actor="U0AAA"
    )
    unhealthy = alert("q1", name="QwenModelUnhealthy", severity="critical", labels=QWEN)
    await post(bot.url, notification("QwenModelUnhealthy", [unhealthy]))
    await settled(bot)
    rows = await incidents(bot)
    assert len(rows) == 3  # a resolved incident is joined by nothing: trouble again
    assert [r.title for r in rows if r.id != incident_id and "Qwen" in r.title] == []
