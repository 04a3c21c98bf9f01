"""The demo's one coupling to the product's composition root.

Everything here mirrors what ``python -m bot serve --with-scheduler`` builds (``bot.app``,
``Container``), with the demo's clock passed in. When the composition
root changes shape, adapt this file and nothing else in ``sandbox/demo``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.app import Container, build_container
from bot.settings import Environment, SreConfig
from sandbox.demo.clock import SkippableClock
from scheduler.runner import SchedulerRunner


@dataclass
class Bot:
    """The running product: its objects, its HTTP application and its scheduler."""

    container: Container
    web_app: web.Application
    scheduler: SchedulerRunner

    async def tick_now(self) -> dict[str, object]:
        """Run every duty once at the clock's now, as the scheduler's next tick would."""
        return await self.scheduler.tick_now()


def build_bot(env: Environment, config: SreConfig, *, clock: SkippableClock) -> Bot:
    """The container, the Bolt web app (``/slack/events`` and friends) and a sole-leader
    scheduler, as ``serve --with-scheduler`` without Redis builds them.

    The calendar starts now: no drill, digest or handoff is owed for a time before the demo
    began (on a first Monday it would open with five drill messages in #oncall). What falls
    due later, by waiting or by a skip on the page, is posted as the product posts it.

    SLOs are read where Prometheus's data is, at the machine's time: after a skip, at the
    bot's clock, there is none yet, and every answer would be "no data". Answers read
    earlier than asked say so.
    """
    container = build_container(
        env, config, clock=clock, calendar_from=clock.now(), slo_data_clock=clock.base
    )
    return Bot(
        container=container,
        web_app=container.web_app(),
        scheduler=container.scheduler_runner(),
    )
