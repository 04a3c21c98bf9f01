"""The demo's one coupling to the product's composition root.

Everything here mirrors what ``python -m bot serve --with-scheduler`` builds (``bot.app``,
``handlers.routes``, ``scheduler.*``), with the demo's clock passed in. When the composition
root changes shape, adapt this file and nothing else in ``sandbox/demo``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.app import Container, build_container
from bot.clock import Clock
from bot.settings import Environment, SreConfig
from handlers.routes import create_bolt_for, create_web_app
from scheduler.build import build_duties
from scheduler.duties import Duties
from scheduler.leader import SoleLeader
from scheduler.runner import SchedulerRunner


class SerialDuties(Duties):
    """The scheduler's duties, one tick at a time: the page's "tick now" after a skip waits
    for a tick already under way instead of running the same duties beside it."""

    def __init__(self, duties: Duties) -> None:
        super().__init__([])
        self._duties_of_a_tick = duties
        self._one_at_a_time = asyncio.Lock()

    @property
    def names(self) -> list[str]:
        return self._duties_of_a_tick.names

    async def tick(self, now: datetime) -> dict[str, object]:
        async with self._one_at_a_time:
            return await self._duties_of_a_tick.tick(now)


@dataclass
class Bot:
    """The running product: its objects, its HTTP application and its scheduler."""

    container: Container
    web_app: web.Application
    scheduler: SchedulerRunner
    duties: SerialDuties

    async def tick_now(self) -> dict[str, object]:
        """Run every duty once at the clock's now, as the scheduler's next tick would."""
        return await self.duties.tick(self.container.clock.now())


def build_bot(env: Environment, config: SreConfig, *, clock: Clock) -> Bot:
    """The container, the Bolt web app (``/slack/events`` and friends) and a sole-leader
    scheduler, as ``serve --with-scheduler`` without Redis builds them."""
    container = build_container(env, config, clock=clock)
    web_app = create_web_app(container, create_bolt_for(container))
    duties = SerialDuties(build_duties(container))
    schedule = config.schedule
    runner = SchedulerRunner(
        duties=duties,
        leadership=SoleLeader(),
        clock=clock,
        tick=schedule.tick,
        leader_ttl=schedule.leader_ttl,
    )
    return Bot(container=container, web_app=web_app, scheduler=runner, duties=duties)
