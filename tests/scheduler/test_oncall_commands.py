"""``/oncall`` over Slack: now, schedule, overrides (and their refusals), handoff, report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.incidents.model import Severity
from storage.tables import AuditRow, OverrideRow
from tests.scheduler.conftest import World


async def _reply(world: World, text: str, user: str = "U0AAA") -> str:
    answer = await world.slack.slash("/oncall", text, user=user)
    assert answer.status == 200
    posts = await world.emulator.wait_for(lambda e: e.responses(answer.response_url))
    assert posts[0].body.get("response_type") == "ephemeral"
    return str(posts[0].body)


async def _overrides(world: World) -> list[OverrideRow]:
    async with world.container.db.transaction() as session:
        return list((await session.execute(select(OverrideRow))).scalars())


async def test_now_and_schedule(world: World) -> None:
    now = await _reply(world, "")
    assert "Paged now:* <@U0AAA> (weekday pool, working hours)" in now
    assert "Weekend on-call:* <@U0DDD>" in now
    schedule = await _reply(world, "schedule")
    # Four weeks, each: the weekend pool Fri 17:00 → Mon 09:00, the weekday pool to Friday.
    assert schedule.count("weekend: <@U0") == 4 and schedule.count("weekday: <@U0") == 4
    assert "<@U0BBB>" in schedule and "<@U0EEE>" in schedule


@pytest.mark.engine
async def test_an_override_takes_the_pager_and_the_user_group(world: World) -> None:
    reply = await _reply(world, "override <@U0CCC|carol> +4h", user="U0AAA")
    assert "<@U0CCC> covers the weekday pool" in reply
    now = await _reply(world, "now")
    assert "Paged now:* <@U0CCC>" in now
    assert world.emulator.usergroup_members("S0ONCALL") == ["U0CCC", "U0DDD"]
    async with world.container.db.transaction() as session:
        audit = [a.action for a in (await session.execute(select(AuditRow))).scalars()]
    assert "oncall.override" in audit
    world.clock.set(world.clock.now() + timedelta(hours=5))
    assert "Paged now:* <@U0AAA>" in await _reply(world, "now")


@pytest.mark.engine
async def test_overrides_are_announced_in_the_oncall_channel_naming_whom_they_replace(
    world: World,
) -> None:
    await _reply(world, "override <@U0CCC|carol> +4h", user="U0AAA")
    await _reply(world, "override <@U0BBB> +2h", user="U0AAA")
    await world.deliver()
    first, second = [
        m.text for m in world.emulator.messages("C0ONCALL") if "covers the weekday pool" in m.text
    ]
    # The rotation's person first, then the earlier override, each said as what it is.
    assert first.startswith("↪️ <@U0CCC> covers the weekday pool until")
    assert "in place of <@U0AAA> (set by <@U0AAA>)" in first
    assert second.startswith("↪️ <@U0BBB> covers the weekday pool until")
    assert "replacing the earlier override by which <@U0CCC> covered it" in second
    assert "Paged now:* <@U0BBB>" in await _reply(world, "now")


@pytest.mark.parametrize(
    ("text", "user", "expected"),
    [
        ("override <@U0ZZZ> +4h", "U0AAA", "no user <@U0ZZZ>"),
        ("override <@U0CCC> 2020-01-01 10:00", "U0AAA", "future"),
        ("override <@U0CCC> whenever", "U0AAA", "18:00"),
        ("override <@U0CCC> +30d", "U0AAA", "14 days"),
        ("override <@U0CCC> +4h", "U0FFF", "Only people in the weekday or weekend rotation"),
        ("override bob +4h", "U0AAA", "is not a person"),
        ("override <@U0CCC>", "U0AAA", "Usage"),
        ("dance", "U0AAA", "Unknown subcommand"),
    ],
)
async def test_bad_overrides_change_nothing(
    world: World, text: str, user: str, expected: str
) -> None:
    reply = await _reply(world, text, user=user)
    assert expected in reply
    assert await _overrides(world) == []
    assert world.emulator.calls_to("usergroups.users.update") == []


async def test_handoff_now_and_report(world: World) -> None:
    reply = await _reply(world, "handoff")
    assert "Posted the handoff" in reply
    posts = await world.emulator.wait_for(
        lambda e: e.messages(world.container.config.channels.oncall)
    )
    assert len(posts) == 1 and "On-call handoff" in str(posts[0].blocks)
    await world.container.incidents.create(
        title="x",
        severity=Severity.SEV4,
        actor="U0AAA",
    )
    world.clock.set(world.clock.now() + timedelta(days=7))
    report = await _reply(world, "report")
    assert "<@U0AAA>: 1 page" in report and "0 out of hours" in report
