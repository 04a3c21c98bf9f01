"""Status-change notices: one per real change, none for a flap at a boundary or for unknown.

The SLO values come from ``PreparedSlos``, which speaks the interface ``SloDuties`` uses
(``definitions`` and ``snapshot``) and returns the next prepared budget on every call;
the notices go through the real Slack notifier to the emulator.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.outbox import PostKind
from bot.slo.budget import SloStatus, status_for
from bot.slo.definitions import SloDefinition, default_slos
from bot.slo.duties import SloDuties, is_announced_change, latest_fire_time
from bot.slo.evaluation import SloResult, deploy_verdict
from bot.slo.service import SloSnapshot
from storage import outbox
from tests.slo_slack.conftest import SloBot

START = datetime(2026, 10, 14, 1, 0, tzinfo=UTC)
EVERY = timedelta(minutes=5)
UNKNOWN = None  # a prepared value meaning "Prometheus could not tell"


def _result(slo: SloDefinition, left: float | None, at: datetime) -> SloResult:
    if left is None:
        return SloResult.unknown(slo, reason="Prometheus unreachable: connection refused", at=at)
    return SloResult(
        name=slo.name,
        title=slo.title,
        kind=slo.kind,
        objective=slo.objective,
        window=slo.window,
        status=status_for(left),
        evaluated_at=at,
        budget_used_pct=100.0 - left,
        budget_left_pct=left,
    )


class PreparedSlos:
    """One SLO whose budget left follows a prepared list, one value per snapshot."""

    def __init__(self, values: list[float | None]) -> None:
        self._slo = next(s for s in default_slos() if s.name == "llm_creative_latency")
        self._values = list(values)

    @property
    def definitions(self) -> list[SloDefinition]:
        return [self._slo]

    async def snapshot(self, *, at: datetime | None = None) -> SloSnapshot:
        instant = at or START
        results = [_result(self._slo, self._values.pop(0), instant)]
        return SloSnapshot(at=instant, results=results, verdict=deploy_verdict(results))


def _duties(bot: SloBot, values: list[float | None]) -> SloDuties:
    assert bot.container.slack is not None
    return SloDuties(
        slo=PreparedSlos(values),
        db=bot.container.db,
        channel=bot.digest_channel,
        zone=bot.container.config.zone,
        digest_cron="0 10 * * mon",
        history=None,
    )


async def _run(
    duties: SloDuties, checks: int, *, first: int = 0, bot: SloBot | None = None
) -> list[int]:
    counts = [await duties.check_status_changes(START + EVERY * (first + i)) for i in range(checks)]
    if bot is not None:
        await bot.delivered()
    return counts


def _notices(bot: SloBot) -> list[str]:
    return [m.text for m in bot.emulator.messages(bot.digest_channel)]


@pytest.mark.engine
async def test_flapping_at_the_boundary_posts_nothing_a_real_change_posts_once(
    slo_bot: SloBot,
) -> None:
    values: list[float | None] = [25.0, 20.4, 19.6, 20.3, 19.5, 20.2]  # first: silent
    values += [18.5, 18.0]  # past 19%: warning, once
    values += [19.8, 20.6, 19.4, 20.9, 19.9]  # flapping the other way: nothing
    values += [21.5, 30.0]  # past 21%: healthy again, once
    counts = await _run(_duties(slo_bot, values), len(values), bot=slo_bot)
    assert counts == [0] * 6 + [1, 0] + [0] * 5 + [1, 0]
    assert _notices(slo_bot) == [
        "LLM Creative Mode Latency (p95): healthy → warning",
        "LLM Creative Mode Latency (p95): warning → healthy",
    ]
    first = slo_bot.emulator.messages(slo_bot.digest_channel)[0]
    assert "is now *warning* (was healthy): 18.50% of the 7d error budget left" in str(first.blocks)
    assert slo_bot.emulator.violations == []


async def test_unknown_neither_posts_nor_forgets_the_last_status(slo_bot: SloBot) -> None:
    values: list[float | None] = [UNKNOWN, 50.0, UNKNOWN, UNKNOWN, 48.0, UNKNOWN, -4.0]
    counts = await _run(_duties(slo_bot, values), len(values), bot=slo_bot)
    assert counts == [0, 0, 0, 0, 0, 0, 1]
    assert _notices(slo_bot) == ["LLM Creative Mode Latency (p95): healthy → exhausted"]
    async with slo_bot.container.db.transaction() as session:
        rows = await outbox.of_kind(session, kind=PostKind.SLO_STATUS)
    assert [row.detail["result"]["status"] for row in rows] == ["healthy", "exhausted"]
    assert rows[0].ts is None and rows[1].ts is not None


async def test_two_schedulers_announce_a_change_once(slo_bot: SloBot) -> None:
    one, two = _duties(slo_bot, [50.0, 10.0]), _duties(slo_bot, [50.0, 10.0])
    assert await _run(one, 1) == [0] and await _run(two, 1) == [0]
    assert await _run(one, 1, first=1) == [1]
    assert await _run(two, 1, first=1, bot=slo_bot) == [0]
    assert len(_notices(slo_bot)) == 1


async def test_a_failed_notice_is_retried_until_it_is_posted_once(slo_bot: SloBot) -> None:
    duties = _duties(slo_bot, [50.0, 10.0, 10.0])
    await _run(duties, 1)
    slo_bot.emulator.fail("chat.postMessage", "internal_error", times=1)
    assert await _run(duties, 1, first=1, bot=slo_bot) == [1]
    assert _notices(slo_bot) == []
    slo_bot.container.clock.advance(timedelta(seconds=2))  # type: ignore[attr-defined]
    assert await _run(duties, 1, first=2, bot=slo_bot) == [0]  # owed once, not again
    assert _notices(slo_bot) == ["LLM Creative Mode Latency (p95): healthy → warning"]
    assert [c.ok for c in slo_bot.emulator.calls_to("chat.postMessage")] == [False, True]


@pytest.mark.parametrize(
    ("previous", "left", "announced"),
    [
        (SloStatus.HEALTHY, 19.5, False),
        (SloStatus.HEALTHY, 19.0, True),
        (SloStatus.HEALTHY, 0.5, True),
        (SloStatus.HEALTHY, -0.5, True),  # announced as exhausted, the true status
        (SloStatus.WARNING, 20.5, False),
        (SloStatus.WARNING, 21.0, False),  # 20% itself is warning: more than 21% is needed
        (SloStatus.WARNING, 21.1, True),
        (SloStatus.WARNING, -0.5, False),
        (SloStatus.EXHAUSTED, 0.5, False),
        (SloStatus.EXHAUSTED, 1.0, False),
        (SloStatus.EXHAUSTED, 1.1, True),
        (SloStatus.EXHAUSTED, 60.0, True),
        (SloStatus.WARNING, 10.0, False),
    ],
)
def test_hysteresis_rule(previous: SloStatus, left: float, announced: bool) -> None:
    result = _result(PreparedSlos([]).definitions[0], left, START)
    assert is_announced_change(previous, result, margin=1.0) is announced


def test_latest_fire_time_in_the_configured_zone() -> None:
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab("0 10 * * mon", timezone=ZoneInfo("Asia/Seoul"))
    monday_10_kst = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)
    now = monday_10_kst + timedelta(hours=3)
    assert latest_fire_time(trigger, now=now, since=now - timedelta(days=1)) == monday_10_kst
    assert latest_fire_time(trigger, now=monday_10_kst, since=monday_10_kst) == monday_10_kst
    before = monday_10_kst - timedelta(seconds=1)
    assert latest_fire_time(trigger, now=before, since=before - timedelta(days=1)) is None
