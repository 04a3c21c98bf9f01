"""The demo's parts in the test's own event loop (``sandbox.demo.running``), on a clock the
test chooses: the machine's time is never read, so the date of the run does not matter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from bot.clock import FixedClock
from bot.settings import load_config
from sandbox.demo.clock import SkippableClock
from sandbox.demo.running import DEMO_CONFIG, RunningDemo, bound, running_demo
from storage import migrate
from tests.support.progress import runs_driven

CONFIG = load_config(DEMO_CONFIG)
CHANNELS = (CONFIG.channels.incidents, CONFIG.channels.oncall, CONFIG.channels.slo_digest)


@asynccontextmanager
async def demo_at(start: datetime, folder: Path) -> AsyncIterator[RunningDemo]:
    """The demo started at ``start`` (the machine's clock held there), without Prometheus."""
    database_url = f"sqlite:///{folder / 'demo.db'}"
    migrate.upgrade(database_url)
    page_sock, standin_sock = bound("127.0.0.1", 0), bound("127.0.0.1", 0)
    try:
        async with running_demo(
            config=CONFIG,
            clock=SkippableClock(base=FixedClock(start)),
            database_url=database_url,
            page_sock=page_sock,
            standin_sock=standin_sock,
            prometheus_url=None,
        ) as demo:
            yield demo
    finally:
        page_sock.close()
        standin_sock.close()


async def settled(demo: RunningDemo) -> None:
    """The scheduler's tick under way (its first, at start) and one more at the same instant
    are done, the runs they started have been driven, one more tick has owed what follows
    from those (a drill's summary), and the outbox has sent what they owed."""
    await demo.bot.tick_now()
    await runs_driven(demo.bot.container.db, within=60)
    await demo.bot.tick_now()
    deliverer = demo.bot.container.outbox
    assert deliverer is not None
    await deliverer.drain(within=30)


def posted(demo: RunningDemo) -> dict[str, list[str]]:
    """Every message in the demo's channels, by channel name."""
    names = demo.emulator.channels
    return {names[c]: [m.text for m in demo.emulator.messages(c)] for c in CHANNELS}
