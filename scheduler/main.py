"""``python -m bot scheduler``: one of possibly several scheduler processes."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.app import Container
from bot.serve import until_stopped
from scheduler.build import build_duties
from scheduler.leader import Leadership, RedisLeader, SoleLeader
from scheduler.runner import SchedulerRunner


def create_runner(container: Container) -> SchedulerRunner:
    """With ``REDIS_URL`` the process competes for leadership; without, it always leads."""
    schedule = container.config.schedule
    leadership: Leadership = SoleLeader()
    if container.env.REDIS_URL:
        leadership = RedisLeader(Redis.from_url(container.env.REDIS_URL), ttl=schedule.leader_ttl)
    return SchedulerRunner(
        duties=build_duties(container),
        leadership=leadership,
        clock=container.clock,
        tick=schedule.tick,
        leader_ttl=schedule.leader_ttl,
    )


async def run_scheduler(container: Container) -> None:
    runner = create_runner(container)
    await runner.start()
    try:
        await until_stopped()
    finally:
        await runner.stop()
        await container.close()
