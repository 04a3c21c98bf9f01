"""The downshift's incident card after Qwen recovers: the restore offered once, its outcome.

Real components throughout: the serving stand-in breaks and heals Qwen, the scheduler's
probes (on a moved clock) downshift and see the recovery, and every press is a signed
request from the Slack driver to the bot, answered in the emulator.
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from bot.incidents.model import Incident
from bot.runbooks.model import Run, RunState
from bot.serving.models import Mode
from sandbox.slack.records import Button, Message
from tests.scheduler.conftest import World
from tests.support.progress import requests_run

RESTORE = "qwen_restore_creative"
OFFERED = "✅ *Qwen* recovered; creative still served by *balanced*: restore?"


async def _downshifted_then_recovered(world: World) -> Incident:
    """Qwen fails three probes (the downshift opens a Sev2), then answers healthy twice."""
    faults = f"{world.container.serving.base_url}/_standin/faults"
    async with aiohttp.ClientSession() as http:
        async with http.post(faults, json={"model_down": "qwen"}) as answer:
            assert answer.status == 200
        for n in range(3):
            await world.at(timedelta(seconds=30 * n))
        async with http.delete(faults) as answer:
            assert answer.status == 200
    await world.at(timedelta(seconds=90))
    await world.at(timedelta(seconds=120))
    [downshift] = await world.container.runbooks.list_runs(active_only=False)
    assert downshift.state is RunState.SUCCEEDED and downshift.incident_id is not None
    incident = await world.container.incidents.get(incident_id=downshift.incident_id)
    assert incident.message_ts is not None
    return incident


def _card(world: World, incident: Incident) -> Message:
    assert incident.message_ts is not None
    return world.emulator.message(world.container.config.channels.incidents, incident.message_ts)


def _recovery_line(card: Message) -> str:
    """The card's line about the recovery (the one section that names it)."""
    [line] = [
        block["text"]["text"]
        for block in card.blocks
        if block.get("type") == "section" and "recovered" in block.get("text", {}).get("text", "")
    ]
    return str(line)


def _buttons(world: World, card: Message) -> list[tuple[str, str]]:
    return [(b.action_id, b.text) for b in world.emulator.buttons(card.channel, card.ts)]


def _notice(world: World) -> tuple[Message, Button]:
    [notice] = [m for m in world.emulator.messages("C0ONCALL") if "qwen recovered" in m.text]
    [button] = world.emulator.buttons(notice.channel, notice.ts)
    return notice, button


async def _restores(world: World) -> list[Run]:
    runs = await world.container.runbooks.list_runs(active_only=False)
    return [run for run in runs if run.runbook == RESTORE]


async def _approval_ask(world: World, incident: Incident) -> tuple[Message, Button]:
    """The restore's approval ask, in the incident's thread once the runs job got there."""
    assert incident.message_ts is not None
    for _ in range(20):
        await world.deliver()
        asks = [
            (m, b)
            for m in world.emulator.replies(
                world.container.config.channels.incidents, incident.message_ts
            )
            for b in world.emulator.buttons(m.channel, m.ts)
            if b.action_id == "runbook_approve"
        ]
        if asks:
            return asks[0]
    raise AssertionError("the restore never asked for its approval")


@pytest.mark.engine
async def test_the_card_restores_once_then_says_creative_is_back(world: World) -> None:
    incident = await _downshifted_then_recovered(world)
    card = _card(world, incident)
    assert _recovery_line(card) == OFFERED
    assert _buttons(world, card) == [
        ("runbook_restore", "Restore creative mode"),
        ("incident_ack", "Acknowledge"),
        ("incident_status", "Update status"),
        ("incident_resolve", "Resolve"),
    ]
    # The card's button is the on-call notice's: the same restore, under the same key.
    notice, notice_button = _notice(world)
    [card_button] = [
        b for b in world.emulator.buttons(card.channel, card.ts) if b.action_id == "runbook_restore"
    ]
    assert card_button.value == notice_button.value

    await world.slack.click(
        channel=card.channel,
        ts=card.ts,
        action_id="runbook_restore",
        user="U0CCC",
        value=card_button.value,
    )
    await requests_run(world.container.db)
    [restore] = await _restores(world)
    assert (restore.requester, restore.incident_id) == ("U0CCC", incident.id)
    await world.deliver()
    card = _card(world, incident)
    assert _recovery_line(card).startswith(
        f"♻️ *Qwen* recovered; <@U0CCC> started the restore as *{restore.id}*: "
        "creative is still served by *balanced*"
    )
    assert "runbook_restore" not in [action for action, _ in _buttons(world, card)]

    # The notice, pressed from a screen that still shows its button, starts nothing.
    await world.slack.click(
        channel=notice.channel,
        ts=notice.ts,
        action_id="runbook_restore",
        user="U0DDD",
        value=notice_button.value,
        seen=0,
    )
    await requests_run(world.container.db)
    [answer] = world.emulator.ephemerals(user="U0DDD")
    assert f"already started by <@U0CCC> as *{restore.id}*" in answer.text, answer.text
    assert [run.id for run in await _restores(world)] == [restore.id]

    message, approve = await _approval_ask(world, incident)
    await world.slack.click(
        channel=message.channel,
        ts=message.ts,
        action_id="runbook_approve",
        user="U0AAA",
        value=approve.value,
    )
    await requests_run(world.container.db)
    await world.at(timedelta(seconds=150))
    routing = await world.container.serving.routing()
    assert routing.serving(Mode.CREATIVE) == Mode.CREATIVE
    card = _card(world, incident)
    assert _recovery_line(card) == (
        f"✅ *Qwen* recovered and creative is back on its own model (*{restore.id}* "
        "restored it): resolve when you are ready."
    )
    assert _buttons(world, card) == [
        ("incident_ack", "Acknowledge"),
        ("incident_status", "Update status"),
        ("incident_resolve", "Resolve"),
    ]

    # The timeline and the thread hold the recovery, the restore's start and its outcome.
    incident = await world.container.incidents.get(incident_id=incident.id)
    told = [(e.action, e.note) for e in incident.timeline]
    recovered = told.index(
        (
            "recovered",
            f"qwen answers healthy again; creative stays on balanced until {RESTORE} runs",
        )
    )
    assert [action for action, note in told[recovered:] if restore.id in note] == [
        "runbook started",
        "runbook succeeded",
    ]
    assert incident.message_ts is not None
    thread = world.thread(incident.message_ts)
    assert any(t.startswith("recovered: qwen answers healthy again") for t in thread), thread
    assert any("runbook started" in t and restore.id in t for t in thread), thread
    assert any("runbook succeeded" in t and restore.id in t for t in thread), thread

    # Resolving is still the card's own: its Resolve opens the form.
    await world.slack.click(
        channel=card.channel, ts=card.ts, action_id="incident_resolve", user="U0CCC"
    )
    await requests_run(world.container.db)
    assert [view.payload["callback_id"] for view in world.emulator.views] == [
        "incident_resolve_modal"
    ]


async def test_a_restore_started_from_the_notice_takes_the_cards_button_too(
    world: World,
) -> None:
    incident = await _downshifted_then_recovered(world)
    notice, button = _notice(world)
    await world.slack.click(
        channel=notice.channel,
        ts=notice.ts,
        action_id="runbook_restore",
        user="U0CCC",
        value=button.value,
    )
    await requests_run(world.container.db)
    [restore] = await _restores(world)
    await world.deliver()
    card = _card(world, incident)
    assert f"started the restore as *{restore.id}*" in _recovery_line(card)
    assert "runbook_restore" not in [action for action, _ in _buttons(world, card)]

    # A screen still showing the card's button (its first version with one) starts nothing.
    seen = next(
        n for n, version in enumerate(card.history) if "runbook_restore" in str(version.blocks)
    )
    await world.slack.click(
        channel=card.channel,
        ts=card.ts,
        action_id="runbook_restore",
        user="U0DDD",
        value=button.value,
        seen=seen,
    )
    await requests_run(world.container.db)
    [answer] = world.emulator.ephemerals(user="U0DDD")
    assert f"already started by <@U0CCC> as *{restore.id}*" in answer.text, answer.text
    assert [run.id for run in await _restores(world)] == [restore.id]

    # Denied: the card says so, offers no second restore, and still offers Resolve.
    message, ask = await _approval_ask(world, incident)
    await world.slack.click(
        channel=message.channel,
        ts=message.ts,
        action_id="runbook_deny",
        user="U0AAA",
        value=ask.value,
    )
    await requests_run(world.container.db)
    await world.deliver()
    card = _card(world, incident)
    assert _recovery_line(card) == (
        f"⚠️ *Qwen* recovered, but the restore *{restore.id}* ended rejected: creative may "
        f"still be served by *balanced*. `/runbook run {RESTORE} --incident {incident.id}` "
        "tries again."
    )
    assert [action for action, _ in _buttons(world, card)] == [
        "incident_ack",
        "incident_status",
        "incident_resolve",
    ]
    routing = await world.container.serving.routing()
    assert routing.serving(Mode.CREATIVE) == Mode.BALANCED
