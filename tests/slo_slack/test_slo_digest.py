"""The scheduled digest: one message and one PNG chart per due time, however often it runs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.outbox import PostKind
from bot.slo.duties import SloDuties
from bot.slo.history import SloHistory
from storage import outbox
from tests.slo.history import END_AT
from tests.slo_slack.conftest import SloBot, png_size

# END_AT is Thursday 2026-10-01 00:00 UTC, 09:00 in Seoul: a fire time of this cron.
DIGEST_CRON = "0 9 * * thu"
Histories = Callable[[str], SloHistory]


@pytest.fixture
def histories() -> Iterator[Histories]:
    """Makes SloHistory objects and closes them after the test."""
    made: list[SloHistory] = []

    def make(url: str) -> SloHistory:
        made.append(SloHistory(prometheus_url=url, timeout=10))
        return made[-1]

    yield make
    for history in made:
        history.close()


def _duties(bot: SloBot, histories: Histories) -> SloDuties:
    assert bot.container.slack is not None
    return SloDuties(
        slo=bot.container.slo,
        db=bot.container.db,
        channel=bot.digest_channel,
        zone=bot.container.config.zone,
        digest_cron=DIGEST_CRON,
        history=histories(bot.prometheus_url),
    )


def _texts(value: Any) -> list[str]:
    """Every text a person reads in a message's blocks."""
    if isinstance(value, dict):
        return [
            text
            for key, item in value.items()
            for text in ([item] if key == "text" and isinstance(item, str) else _texts(item))
        ]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


async def _digest(duties: SloDuties, bot: SloBot, at: datetime) -> bool:
    """Run the duty at ``at``, then let the outbox send what it owed."""
    owed = await duties.digest_if_due(at)
    await bot.delivered()
    return owed


async def test_digest_posts_one_message_and_one_chart_once(
    slo_bot: SloBot, histories: Histories
) -> None:
    channel = slo_bot.digest_channel
    assert await _digest(_duties(slo_bot, histories), slo_bot, END_AT + timedelta(minutes=1))
    (digest,) = slo_bot.emulator.messages(channel)
    assert digest.blocks[0]["text"]["text"] == "📊 SLO digest"
    assert "Deployments blocked" in digest.text
    assert "llm_balanced_latency" in str(digest.blocks)
    shown = "\n".join(_texts(digest.blocks))
    assert "(95% over 7d): budget overspent (1.30× spent), exhausted" in shown
    assert not re.search(r"-\d[\d.,]*%", shown)  # never a negative percentage left
    (upload,) = slo_bot.emulator.uploads
    assert upload.completed and upload.channel == channel and upload.thread_ts == digest.ts
    assert upload.filename == "slo-budget.png"
    assert upload.content is not None
    width, height = png_size(upload.content)
    assert width == 800 and 400 < height < 1200
    assert 10_000 < len(upload.content) < 1_000_000

    # The same tick again, later in the day, and a second scheduler over the same database.
    assert not await _digest(_duties(slo_bot, histories), slo_bot, END_AT + timedelta(minutes=2))
    assert not await _digest(_duties(slo_bot, histories), slo_bot, END_AT + timedelta(hours=20))
    assert len(slo_bot.emulator.messages(channel)) == 1
    assert len(slo_bot.emulator.uploads) == 1
    async with slo_bot.container.db.transaction() as session:
        (row,) = await outbox.of_kind(session, kind=PostKind.SLO_DIGEST)
    assert row.key == "slo-digest:2026-10-01T00:00:00Z"
    assert (row.channel, row.ts) == (channel, digest.ts)
    assert slo_bot.emulator.violations == []


async def test_a_digest_more_than_a_day_late_is_skipped(
    slo_bot: SloBot, histories: Histories
) -> None:
    duties = _duties(slo_bot, histories)
    assert duties.digest_due(END_AT - timedelta(minutes=1)) is None  # last Thursday: 7 days ago
    assert not await _digest(duties, slo_bot, END_AT + timedelta(days=1, minutes=1))
    assert slo_bot.emulator.messages(slo_bot.digest_channel) == []
    assert slo_bot.emulator.uploads == []


@pytest.mark.engine
async def test_digest_without_prometheus_says_data_unavailable(
    blind_bot: SloBot, histories: Histories
) -> None:
    duties = _duties(blind_bot, histories)
    assert await _digest(duties, blind_bot, END_AT)
    (digest,) = blind_bot.emulator.messages(blind_bot.digest_channel)
    shown = digest.text + str(digest.blocks)
    assert "data unavailable" in shown.lower() and "allowed" not in shown.lower()
    (upload,) = blind_bot.emulator.uploads
    assert upload.content is not None and png_size(upload.content)[0] == 800
    assert blind_bot.emulator.violations == []


async def test_a_digest_without_data_speaks_to_a_person(
    slo_bot: SloBot, histories: Histories
) -> None:
    # Five weeks before the history's end (a Thursday, 09:00 in Seoul) Prometheus has no data.
    before = END_AT - timedelta(weeks=5)
    assert await _digest(_duties(slo_bot, histories), slo_bot, before)
    (digest,) = slo_bot.emulator.messages(slo_bot.digest_channel)
    shown = digest.text + "\n" + "\n".join(_texts(digest.blocks))
    assert "no data: Prometheus has nothing to count in the last 30d" in shown
    assert "no data: Prometheus has no llm_brief_latency_seconds buckets in the last 7d" in shown
    # No PromQL and no ISO timestamp: those are for `slo report --json`.
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", shown), shown
    for promql in ("sum(", "increase(", "_bucket{", "[30d]", "last_over_time"):
        assert promql not in shown, promql
    assert slo_bot.emulator.violations == []
