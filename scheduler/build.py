"""Wiring the scheduler's duties from the container (the scheduler's composition root)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import Container
from bot.slo.duties import SloDuties
from scheduler.chase import Chaser
from scheduler.duties import Duties, Duty
from scheduler.probes import Drills, QwenWatch


def build_duties(container: Container) -> Duties:
    """Every duty of a tick, in order. Without Slack nothing can be posted: no duties."""
    duties: list[tuple[str, Duty]] = []
    if container.slack is not None:
        from handlers.notifier import SlackChaseNotifier
        from handlers.runbook_notifier import SlackProbeNotifier
        from handlers.slo_notifier import SlackSloNotifier

        chaser = Chaser(
            db=container.db,
            config=container.config,
            incidents=container.incidents,
            oncall=container.oncall,
            notifier=SlackChaseNotifier(client=container.slack, config=container.config),
        )
        slo = SloDuties(
            slo=container.slo,
            db=container.db,
            notifier=SlackSloNotifier(
                client=container.slack, channel=container.config.channels.slo_digest
            ),
            zone=container.config.zone,
            digest_cron=container.config.schedule.slo_digest,
            history=container.slo_history,
        )
        probe_notifier = SlackProbeNotifier(client=container.slack, config=container.config)
        watch = QwenWatch(
            db=container.db,
            config=container.config,
            serving=container.serving,
            runbooks=container.runbooks,
            notifier=probe_notifier,
        )
        drills = Drills(
            db=container.db,
            config=container.config,
            serving=container.serving,
            runbooks=container.runbooks,
            notifier=probe_notifier,
        )
        idle_for = container.config.schedule.post_timeout

        async def recover_runs(now: datetime) -> object:
            return await container.runbooks.recover(idle_for=idle_for)

        duties += [
            ("recover interrupted runbook runs", recover_runs),
            ("expire runbook approvals", container.runbooks.expire_due),
            (
                "probe model health",
                every(container.config.schedule.health_probe_every, watch.probe),
            ),
            ("drill the runbooks", drills.drill_if_due),
            ("chase unacknowledged incidents", chaser.run),
            ("post the handoff", container.handoffs.post_due),
            ("remind unconfirmed handoffs", container.handoffs.remind_unconfirmed),
            ("post the SLO digest", slo.digest_if_due),
            (
                "announce SLO status changes",
                every(container.config.schedule.slo_status_every, slo.check_status_changes),
            ),
        ]
    return Duties(duties)


def every(interval: timedelta, duty: Duty) -> Duty:
    """Run ``duty`` at most once per ``interval`` of the ticks' clock."""
    last: list[datetime] = []

    async def throttled(now: datetime) -> object:
        if last and now - last[0] < interval:
            return None
        last[:] = [now]
        return await duty(now)

    return throttled
