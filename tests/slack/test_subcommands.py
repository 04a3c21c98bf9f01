"""The four slash commands share one router: ``help``, usage and unknown words alike."""

from __future__ import annotations

import json

import pytest

from tests.slack.conftest import Bot


async def _reply(bot: Bot, command: str, words: str) -> str:
    answer = await bot.slack.slash(command, words, user="U0AAA")
    assert answer.status == 200 and answer.text == ""  # acked at once, answered after
    posts = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert posts[0].body["response_type"] == "ephemeral"
    shown = json.dumps(posts[0].body, ensure_ascii=False)
    return shown.replace("&lt;", "<").replace("&gt;", ">")  # as Slack renders it


@pytest.mark.parametrize("command", ["/incident", "/runbook", "/oncall", "/slo"])
async def test_help_answers_every_command(bot: Bot, command: str) -> None:
    assert f"`{command} " in await _reply(bot, command, "HELP")


@pytest.mark.parametrize(
    ("command", "placeholder"),
    [("/incident", "title"), ("/runbook", "RUN-ID"), ("/oncall", "until"), ("/slo", "name")],
)
async def test_help_escapes_its_placeholders(bot: Bot, command: str, placeholder: str) -> None:
    """Slack would take a bare ``<title>`` for a broken link and show nothing of it."""
    answer = await bot.slack.slash(command, "help", user="U0AAA")
    posts = await bot.emulator.wait_for(lambda e: e.responses(answer.response_url))
    sent = json.dumps(posts[0].body, ensure_ascii=False)
    assert f"&lt;{placeholder}&gt;" in sent and f"<{placeholder}>" not in sent


@pytest.mark.parametrize("command", ["/incident", "/runbook", "/oncall"])
async def test_an_unknown_word_is_refused_with_the_help(bot: Bot, command: str) -> None:
    reply = await _reply(bot, command, "frobnicate now")
    assert "Unknown subcommand 'frobnicate'" in reply and f"`{command} " in reply
    # Escaped once: a second escape would show a literal "&lt;INC-ID&gt;" in Slack.
    assert "&amp;" not in reply


@pytest.mark.engine
async def test_placeholders_in_a_postmortem_draft_are_escaped(bot: Bot) -> None:
    await bot.slack.slash("/incident", "create sev3 Slow search", user="U0AAA")
    (card,) = await bot.emulator.wait_for(lambda e: e.messages(bot.incidents_channel))
    incident_id = card.blocks[0]["text"]["text"].split()[1]
    await bot.slack.slash("/incident", f"resolve {incident_id} restarted", user="U0AAA")
    answer = await bot.slack.slash("/incident", f"postmortem {incident_id}", user="U0AAA")
    await bot.emulator.wait_for(
        lambda e: [c for c in e.calls if "Postmortem draft" in json.dumps(c.args)]
    )
    said = [c.args for c in bot.emulator.calls] + [r.body for r in bot.emulator.responses()]
    sent = json.dumps(said, ensure_ascii=False)
    assert f"postmortem {incident_id} &lt;url&gt;" in sent
    assert f"{incident_id} <url>" not in sent and answer.status == 200


@pytest.mark.parametrize(
    ("command", "words", "usage"),
    [
        ("/incident", "status\tINC-20260101-000000", "/incident status <INC-ID>"),
        ("/runbook", "cancel", "/runbook cancel <RUN-ID>"),
        ("/runbook", "status RUN-1 RUN-2", "/runbook status <RUN-ID>"),
        ("/oncall", "override <@U0BBB>", "/oncall override @user <until>"),
        ("/slo", "check now", "/slo check"),
    ],
)
async def test_wrong_word_counts_are_refused_with_the_usage(
    bot: Bot, command: str, words: str, usage: str
) -> None:
    assert usage in await _reply(bot, command, words)
