"""``python -m bot oncall now|schedule|handoff|report`` (docs/shell.md)."""

from __future__ import annotations

import argparse

from bot.app import Container
from bot.durations import humanize
from bot.oncall.cli_text import handoff_lines


async def run(args: argparse.Namespace, container: Container) -> int:
    service = container.oncall
    zone = container.config.zone
    if args.action == "now":
        now = await service.now()
        print(
            f"Paged now:        {now.paged} ({now.pool.value} pool{', out of hours' if now.out_of_hours else ''})"
        )
        print(f"Weekday on-call:  {now.weekday}")
        print(f"Weekend on-call:  {now.weekend}")
        print(f"Next handoff:     {now.next_handoff.astimezone(zone):%a %Y-%m-%d %H:%M %Z}")
    elif args.action == "schedule":
        for week in service.schedule(weeks=4):
            print(f"{week.start_local:%a %Y-%m-%d %H:%M} → {week.end_local:%a %Y-%m-%d %H:%M}")
            for cover in week.coverage:
                print(
                    f"   {cover.pool.value:<8} {cover.user:<12} {cover.start_local:%a %H:%M} → {cover.end_local:%a %H:%M}"
                )
    elif args.action == "handoff" and args.preview:
        print("\n".join(handoff_lines(await container.handoffs.preview(), zone)))
    elif args.action == "handoff":
        message = await container.handoffs.post_now(actor="cli")
        print(
            f"Posted the handoff for {message.at.astimezone(zone):%a %Y-%m-%d %H:%M %Z}: "
            f"{message.outgoing_paged} → {message.incoming_paged}"
        )
    elif args.action == "report":
        report = await service.fatigue_report()
        print(
            f"Last shift {report.start.astimezone(zone):%Y-%m-%d %H:%M} → {report.end.astimezone(zone):%Y-%m-%d %H:%M}"
        )
        for user, count in report.fatigue.pages.items():
            print(
                f"   {user:<12} {count} pages, {report.fatigue.out_of_hours.get(user, 0)} out of hours"
            )
        print(f"MTTA: {humanize(report.mtta) if report.mtta else 'no acknowledgements'}")
    return 0
