"""``python -m bot oncall now|schedule|handoff|report`` (docs/shell.md)."""

from __future__ import annotations

import argparse

from bot.app import Container
from bot.durations import humanize
from bot.oncall.cli_text import handoff_lines, people_in
from bot.people import look_up


async def run(args: argparse.Namespace, container: Container) -> int:
    """One ``oncall`` command; people are printed by name where sre.yaml or Slack knows it."""
    service = container.oncall
    people = container.people
    zone = container.config.zone
    if args.action == "now":
        now = await service.now()
        names = await look_up(people, [now.paged, now.weekday, now.weekend])
        print(
            f"Paged now:        {names(now.paged)} ({now.pool.value} pool{', out of hours' if now.out_of_hours else ''})"
        )
        print(f"Weekday on-call:  {names(now.weekday)}")
        print(f"Weekend on-call:  {names(now.weekend)}")
        print(f"Next handoff:     {now.next_handoff.astimezone(zone):%a %Y-%m-%d %H:%M %Z}")
    elif args.action == "schedule":
        weeks = service.schedule(weeks=4)
        names = await look_up(people, [c.user for week in weeks for c in week.coverage])
        for week in weeks:
            print(f"{week.start_local:%a %Y-%m-%d %H:%M} → {week.end_local:%a %Y-%m-%d %H:%M}")
            for cover in week.coverage:
                print(
                    f"   {cover.pool.value:<8} {names(cover.user):<12} {cover.start_local:%a %H:%M} → {cover.end_local:%a %H:%M}"
                )
    elif args.action == "handoff" and args.preview:
        preview = await container.handoffs.preview()
        names = await look_up(people, people_in(preview))
        print("\n".join(handoff_lines(preview, zone, names)))
    elif args.action == "handoff":
        message = await container.handoffs.post_now(actor="cli")
        names = await look_up(people, [message.outgoing_paged, message.incoming_paged])
        print(
            f"Posted the handoff for {message.at.astimezone(zone):%a %Y-%m-%d %H:%M %Z}: "
            f"{names(message.outgoing_paged)} → {names(message.incoming_paged)}"
        )
    elif args.action == "report":
        report = await service.fatigue_report()
        names = await look_up(people, report.fatigue.pages)
        print(
            f"Last shift {report.start.astimezone(zone):%Y-%m-%d %H:%M} → {report.end.astimezone(zone):%Y-%m-%d %H:%M}"
        )
        for user, count in report.fatigue.pages.items():
            print(
                f"   {names(user):<12} {count} pages, {report.fatigue.out_of_hours.get(user, 0)} out of hours"
            )
        print(f"MTTA: {humanize(report.mtta) if report.mtta else 'no acknowledgements'}")
    return 0
