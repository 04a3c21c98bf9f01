"""Health probes' recovery notice and the monthly runbook drill, on a moved clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.serving.models import Mode
from tests.scheduler.conftest import START, World

# The first Monday of November 2026, 10:00 in Seoul.
DRILL = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


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
    buttons = world.emulator.buttons(notices[0].channel, notices[0].ts)
    assert [(b.action_id, b.value) for b in buttons] == [("runbook_start", "qwen_restore_creative")]
    await world.slack.click(
        channel=notices[0].channel, ts=notices[0].ts, action_id="runbook_start", user="U0CCC"
    )
    run_message = await world.emulator.wait_for(
        lambda e: [
            m
            for m in e.messages(notices[0].channel)
            if "qwen_restore_creative" in m.text and "waiting" in m.text
        ]
    )
    assert "runbook_approve" in [
        b.action_id for b in world.emulator.buttons(run_message[0].channel, run_message[0].ts)
    ]
    routing = await world.container.serving.routing()
    assert routing.serving(Mode.CREATIVE) == Mode.BALANCED  # nothing restored before approval


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
