"""Health probes' recovery notice and the monthly runbook drill, on a moved clock."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from bot.app import build_container
from bot.outbox import PostKind
from bot.runbooks.model import Run, RunState, StepState
from bot.serving.models import Mode
from sandbox.slack.records import Button, Message
from scheduler.duties import every
from storage.db import Database
from storage.tables import PostRow
from tests.scheduler.conftest import START, World
from tests.support.progress import requests_run, runs_driven

PROBE = "probe model health"

# The first Monday of November 2026, 10:00 in Seoul.
DRILL = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
DRILL_TITLE = "Monthly runbook drill"


@pytest.mark.engine
async def test_a_recovered_qwen_is_announced_once_with_a_restore_button(world: World) -> None:
    await world.container.serving.set_routing(Mode.CREATIVE, Mode.BALANCED)  # downshifted
    await world.at(timedelta(seconds=30))
    await world.at(timedelta(seconds=60))
    notices = [
        m
        for m in world.emulator.messages("C0ONCALL")
        if "healthy again" in m.text or "recovered" in m.text
    ]
    assert len(notices) == 1
    notice = notices[0]
    buttons = world.emulator.buttons(notice.channel, notice.ts)
    assert [(b.action_id, b.value) for b in buttons] == [("runbook_restore", "recovery:manual")]
    await world.slack.click(
        channel=notice.channel,
        ts=notice.ts,
        action_id="runbook_restore",
        user="U0CCC",
        value="recovery:manual",
    )
    run_message = await world.emulator.wait_for(
        lambda e: [
            m
            for m in e.messages(notice.channel)
            if "qwen_restore_creative" in m.text and "waiting" in m.text
        ]
    )
    assert "runbook_approve" in [
        b.action_id for b in world.emulator.buttons(run_message[0].channel, run_message[0].ts)
    ]
    routing = await world.container.serving.routing()
    assert routing.serving(Mode.CREATIVE) == Mode.BALANCED  # nothing restored before approval

    # The notice trades its button for the run and who started it ...
    await requests_run(world.container.db)
    [restore] = await world.container.runbooks.list_runs(active_only=True)
    await world.deliver()
    notice = world.emulator.message(notice.channel, notice.ts)
    assert world.emulator.buttons(notice.channel, notice.ts) == []
    # ... and a press from a client still showing the button starts nothing and says what
    # happened.
    await world.slack.click(
        channel=notice.channel,
        ts=notice.ts,
        action_id="runbook_restore",
        user="U0DDD",
        value="recovery:manual",
        seen=0,
    )
    await requests_run(world.container.db)
    [answer] = world.emulator.ephemerals(user="U0DDD")
    assert f"already started by <@U0CCC> as *{restore.id}*" in answer.text, answer.text
    assert await world.container.runbooks.list_runs(active_only=False) == [restore]
    assert f"<@U0CCC> started the restore as *{restore.id}*" in notice.text, notice.text


@pytest.mark.engine
async def test_the_monthly_drill_dry_runs_every_runbook_once(world: World) -> None:
    await world.at(DRILL - START - timedelta(minutes=1))
    assert not [m for m in world.emulator.messages("C0ONCALL") if "drill" in m.text.lower()]
    await world.at(DRILL - START)
    await world.at(DRILL - START + timedelta(minutes=5))
    summaries = [
        m for m in world.emulator.messages("C0ONCALL") if "Monthly runbook drill" in m.text
    ]
    assert len(summaries) == 1 and "the serving process answered" in summaries[0].text
    dry_runs = [
        m
        for m in world.emulator.messages("C0ONCALL")
        if m.text.startswith("RUN-") and "dry run" in str(m.blocks).lower()
    ]
    names = {d.text.split()[1].rstrip(":") for d in dry_runs}
    assert names == {r.name for r in world.container.runbooks.list_definitions()}
    assert await world.container.runbooks.list_runs(active_only=True) == []


@pytest.mark.engine
async def test_a_drill_tick_only_starts_the_dry_runs_and_a_later_tick_posts_one_summary(
    world: World,
) -> None:
    container = world.container
    other = build_container(
        container.env, container.config, clock=world.clock, db=Database(container.db.url)
    )
    definitions = {d.name for d in container.runbooks.list_definitions()}
    try:
        # Two processes tick at the fire time at once (a failover): one starts the dry runs.
        world.clock.set(DRILL)
        await asyncio.gather(world.duties.tick(DRILL), other.duties.tick(DRILL))
        dry_runs = await container.runbooks.list_runs(active_only=False, limit=100)
        assert {run.runbook for run in dry_runs} == definitions
        assert len(dry_runs) == len(definitions) and all(run.dry_run for run in dry_runs)
        # The tick only started them; whether the other process's tick, run beside it, saw
        # them end already (and owed the summary) is the runs job's timing, not the tick's.
        assert await _drill_summaries(world) <= 1

        await runs_driven(container.db, within=60)  # the runs job drove them meanwhile
        # Every later tick, here or in the other process (or a restarted one), finds the
        # drill started: one summary between them, and no second round of dry runs.
        for seconds, process in [(30, container), (60, other), (90, container), (120, other)]:
            world.clock.set(DRILL + timedelta(seconds=seconds))
            await process.duties.tick(world.clock.now())
        await world.deliver()
        await other.outbox.drain(within=10)  # type: ignore[union-attr]

        assert await _drill_summaries(world) == 1
        [summary] = [m for m in world.emulator.messages("C0ONCALL") if DRILL_TITLE in m.text]
        ended = await container.runbooks.list_runs(active_only=False, limit=100)
        assert {run.id for run in ended} == {run.id for run in dry_runs}  # no second round
        for run in ended:  # each as it ended, none still "running"
            assert f"{run.runbook}: {run.id} {run.state.label}" in summary.text
            assert not run.is_active
    finally:
        await other.close()


async def _drill_summaries(world: World) -> int:
    """Drill summaries owed (sent or not)."""
    async with world.container.db.transaction() as session:
        owed = await session.execute(
            select(PostRow.key).where(PostRow.kind == PostKind.RUNBOOK_DRILL)
        )
        return len(owed.all())


async def test_a_duty_every_30s_runs_on_ticks_that_arrive_a_little_early() -> None:
    runs: list[datetime] = []

    async def duty(now: datetime) -> None:
        runs.append(now)

    due = every(timedelta(seconds=30), duty, tick=timedelta(seconds=30))
    ticks = [START + timedelta(seconds=29.99 * n) for n in range(7)]
    for at in ticks:
        await due(at)
    assert runs == ticks  # a tick at 29.99 s runs it; none is skipped to 60 s

    runs.clear()
    slow = every(timedelta(minutes=5), duty, tick=timedelta(seconds=30))
    for n in range(41):  # 20 minutes of 30 s ticks, each 10 ms early
        await slow(START + timedelta(seconds=30 * n - 0.01 * n))
    assert [round((at - START).total_seconds() / 60) for at in runs] == [0, 5, 10, 15, 20]


async def test_three_failed_probes_30s_apart_downshift_on_the_third(world: World) -> None:
    """Three failures in a row, probes every 30 s, ticks a hair early: the downshift starts
    60 s after the first failed probe, not a tick later (docs/guide.md#qwen_failure_downshift)."""
    async with aiohttp.ClientSession() as http:
        faults = f"{world.container.serving.base_url}/_standin/faults"
        async with http.post(faults, json={"model_down": "qwen"}) as answer:
            assert answer.status == 200
    tick = timedelta(seconds=29.99)
    outcomes = [(await world.at(tick * n))[PROBE] for n in range(3)]
    assert outcomes[:2] == ["failed 1", "failed 2"]
    assert str(outcomes[2]).startswith("started RUN-")
    routing = await world.container.serving.routing()
    assert routing.serving(Mode.CREATIVE) == Mode.BALANCED


@pytest.mark.engine
async def test_the_downshift_incident_tells_its_run_the_recovery_and_the_restore(
    world: World,
) -> None:
    faults = f"{world.container.serving.base_url}/_standin/faults"
    async with aiohttp.ClientSession() as http:
        async with http.post(faults, json={"model_down": "qwen"}) as answer:
            assert answer.status == 200
        for n in range(3):  # the third failed probe starts the downshift
            await world.at(timedelta(seconds=30 * n))
        async with http.delete(faults) as answer:
            assert answer.status == 200
    [downshift] = await world.container.runbooks.list_runs(active_only=False)
    assert downshift.incident_id is not None
    incident = await world.container.incidents.get(incident_id=downshift.incident_id)
    assert incident.message_ts is not None
    told = [(e.action, e.note) for e in incident.timeline if e.action != "created"]
    assert told[0] == (
        "runbook started",
        f"{downshift.id} qwen_failure_downshift, requested by health-probe",
    )
    assert told[-1][0] == "runbook succeeded" and downshift.id in told[-1][1]
    thread = world.thread(incident.message_ts)
    assert any("runbook started" in t and downshift.id in t for t in thread)
    assert any("runbook succeeded" in t and downshift.id in t for t in thread)

    await world.at(timedelta(seconds=90))  # healthy again, still downshifted
    await world.at(timedelta(seconds=120))  # announced once, told once
    incident = await world.container.incidents.get(incident_id=incident.id)
    assert [e.action for e in incident.timeline].count("recovered") == 1
    assert "recovered" in world.thread(incident.message_ts)[-1]

    [notice] = [m for m in world.emulator.messages("C0ONCALL") if "qwen recovered" in m.text]
    [button] = world.emulator.buttons(notice.channel, notice.ts)
    await world.slack.click(
        channel=notice.channel,
        ts=notice.ts,
        action_id=button.action_id,
        user="U0CCC",
        value=button.value,
    )
    restore_run = await _wait_for_run(world, "qwen_restore_creative")
    assert restore_run.incident_id == incident.id
    # The run reaches its approval step on the runs job and its ask is owed after that
    # commit: deliver until it is out (each pass waits on the runs and on the outbox).
    asks: list[tuple[Message, Button]] = []
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
            break
    message, approve = asks[0]
    await world.slack.click(
        channel=message.channel,
        ts=message.ts,
        action_id="runbook_approve",
        user="U0AAA",
        value=approve.value,
    )
    await world.at(timedelta(seconds=150))
    incident = await world.container.incidents.get(incident_id=incident.id)
    restored = [(e.action, e.note) for e in incident.timeline if restore_run.id in e.note]
    assert [action for action, _ in restored] == ["runbook started", "runbook succeeded"]
    thread = world.thread(incident.message_ts)
    assert any("runbook succeeded" in t and restore_run.id in t for t in thread)
    routing = await world.container.serving.routing()
    assert routing.serving(Mode.CREATIVE) == Mode.CREATIVE


async def _wait_for_run(world: World, runbook: str) -> Run:
    for _ in range(200):
        runs = await world.container.runbooks.list_runs(active_only=False)
        found = [r for r in runs if r.runbook == runbook]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no run of {runbook}")


async def test_the_alert_after_the_probes_downshift_finds_it_in_place_and_pages_nobody(
    world: World, fixtures_dir: Path
) -> None:
    """The issue as seen: the probes downshift Qwen and page on-call, naming the probes;
    minutes later QwenModelUnhealthy's run finds the downshift in place and ends not needed,
    with no second page, no change and no second incident of its own."""
    standin = world.container.serving.base_url
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{standin}/_standin/faults", json={"model_down": "qwen"}) as answer:
            assert answer.status == 200
        for n in range(3):  # the third failed probe starts the downshift
            await world.at(timedelta(seconds=30 * n))
        [downshift] = await world.container.runbooks.list_runs(active_only=False)
        assert downshift.state is RunState.SUCCEEDED, downshift.note
        [page] = _pages(world)
        assert "Qwen is failing: the bot's health probes reported it" in page, page
        async with http.delete(f"{standin}/_standin/requests") as answer:
            assert answer.status == 200

        world.clock.set(START + timedelta(minutes=6))
        firing = json.loads((fixtures_dir / "alertmanager" / "webhook_v4_firing.json").read_text())
        await world.alert(firing)

        async with http.get(f"{standin}/_standin/requests", params={"method": "POST"}) as answer:
            posts = (await answer.json())["requests"]
    assert posts == []  # nothing changed on the serving process
    assert len(_pages(world)) == 1  # on-call was paged once, by the probes' run
    runs = await world.container.runbooks.list_runs(active_only=False)
    again = [run for run in runs if run.id != downshift.id]
    # Where the alert opens its own incident, its run ends not needed; where it joins the
    # probes' incident, alert work finds the probes' run linked there and starts none.
    assert len(again) <= 1 and len(await world.container.incidents.list_incidents()) <= 2
    for alerted in again:
        assert alerted.state is RunState.NOT_NEEDED
        assert {s.state for s in alerted.steps} == {StepState.SKIPPED}
        assert alerted.note == f"not needed: {IN_PLACE}"
        assert alerted.incident_id is not None
        incident = await world.container.incidents.get(incident_id=alerted.incident_id)
        told = [(e.action, e.note) for e in incident.timeline if alerted.id in e.note]
        assert told[-1] == (
            "runbook not needed",
            f"{alerted.id} qwen_failure_downshift: {IN_PLACE}",
        )
        assert incident.message_ts is not None
        thread = world.thread(incident.message_ts)
        assert any("runbook not needed" in t for t in thread)
        # Its run message in the incident's thread shows it ended not needed.
        assert any(t.startswith(alerted.id) and t.endswith("not needed") for t in thread)


IN_PLACE = "already in place (creative is served by balanced and qwen's breaker is open)"


def _pages(world: World) -> list[str]:
    """The on-call pages of runs as Slack received them."""
    calls = world.emulator.calls_to("chat.postMessage")
    return [str(c.args.get("text", "")) for c in calls if str(c.args.get("text")).startswith("📟")]
