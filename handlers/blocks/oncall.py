"""Block Kit for on-call: who is on call, the schedule, the handoff message, fatigue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from bot.durations import humanize
from bot.oncall.handoff_message import HandoffMessage
from bot.oncall.rotation import WeekPlan
from bot.oncall.service import FatigueReport, OnCallNow
from handlers.blocks.incident import SEVERITY_ICON, STATUS_ICON
from handlers.blocks.slo import slo_summary_blocks
from handlers.blocks.text import (
    SECTION_TEXT_MAX,
    button,
    clip,
    context,
    escape,
    fallback,
    header,
    mention,
    message,
    section,
    when,
)


class OncallAction(StrEnum):
    CONFIRM_HANDOFF = "handoff_confirm"


# Raw text: the router escapes it when it is shown (Slack would read a bare <title> as a link).
ONCALL_HELP = "\n".join(
    [
        "*`/oncall`* — the rotation",
        "`/oncall` or `/oncall now` — who is on call now and next",
        "`/oncall schedule` — the next four weeks",
        "`/oncall override @user <until> [weekday|weekend]` — cover the pool paged now (or the one named) until then, e.g. `18:00`, `tomorrow 09:00`, `+4h`",
        "`/oncall handoff` — post the handoff message now",
        "`/oncall report` — pages per person in the last shift, out-of-hours pages, MTTA",
    ]
)


def _local(instant: datetime, zone: Any) -> str:
    return instant.astimezone(zone).strftime("%a %d %b %H:%M")


def now_reply(now: OnCallNow, zone: Any) -> dict[str, Any]:
    hours = "out of hours" if now.out_of_hours else "working hours"
    lines = [
        f"📟 *Paged now:* {mention(now.paged)} ({now.pool.value} pool, {hours})",
        f"*Weekday on-call:* {mention(now.weekday)} · *Weekend on-call:* {mention(now.weekend)}",
        f"*Next handoff:* {when(now.next_handoff)} ({_local(now.next_handoff, zone)} local)",
    ]
    for override in now.overrides:
        lines.append(
            f"↪️ Override: {mention(override.user)} covers {override.pool.value} until {when(override.end)}"
        )
    text = "\n".join(lines)
    return {"text": fallback(f"Paged now: {now.paged}"), "blocks": [section(text)]}


def schedule_reply(weeks: list[WeekPlan], zone: Any) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [header("On-call schedule")]
    for week in weeks:
        lines = [f"*{_local(week.start, zone)} → {_local(week.end, zone)}*"]
        for cover in week.coverage:
            lines.append(
                f"{cover.pool.value}: {mention(cover.user)} "
                f"{cover.start_local:%a %H:%M} → {cover.end_local:%a %H:%M}"
            )
        blocks.append(section("\n".join(lines)))
    blocks.append(
        context(f"Times are {escape(str(zone))}; handoffs stay at the same local time across DST.")
    )
    return {"text": "On-call schedule", "blocks": blocks}


def fatigue_lines(report: FatigueReport | None) -> str:
    if report is None:
        return "_No rotation configured._"
    if not report.fatigue.pages:
        return f"No pages between {when(report.start)} and {when(report.end)}."
    lines = [
        f"{mention(user)}: {count} page{'s' if count != 1 else ''}, "
        f"{report.fatigue.out_of_hours.get(user, 0)} out of hours"
        for user, count in report.fatigue.pages.items()
    ]
    mtta = humanize(report.mtta) if report.mtta is not None else "no acknowledgements"
    lines.append(f"MTTA {mtta} over {report.acknowledged} acknowledged")
    return "\n".join(lines)


def fatigue_reply(report: FatigueReport) -> dict[str, Any]:
    text = f"*Last shift* ({when(report.start)} → {when(report.end)})\n" + fatigue_lines(report)
    return {"text": "On-call fatigue report", "blocks": [header("On-call fatigue"), section(text)]}


def _incident_lines(message: HandoffMessage) -> str:
    if not message.open_incidents:
        return "✅ No open incidents."
    lines = []
    for incident in message.open_incidents[:15]:
        owner = (
            mention(incident.acknowledged_by) if incident.acknowledged_by else "*unacknowledged*"
        )
        lines.append(
            f"{STATUS_ICON[incident.status]} *{incident.id}* {SEVERITY_ICON[incident.severity]} "
            f"{incident.severity.label} {escape(clip(incident.title, 80))} · {owner} · "
            f"{message.age_of(incident)}"
        )
    if len(message.open_incidents) > 15:
        lines.append(f"…and {len(message.open_incidents) - 15} more: `/incident list`")
    return clip("\n".join(lines), SECTION_TEXT_MAX)


def handoff_blocks(message: HandoffMessage, zone: Any) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [header(f"🔁 On-call handoff · {_local(message.at, zone)}")]
    for pool in message.pools:
        coverage = (
            ", ".join(f"{c.start_local:%a %H:%M} → {c.end_local:%a %H:%M}" for c in pool.coverage)
            or "—"
        )
        blocks.append(
            section(
                f"*{pool.pool.value.capitalize()}*: {mention(pool.outgoing)} → {mention(pool.incoming)}\n"
                f"Paged {coverage}"
            )
        )
    blocks.append(section("*Open incidents*\n" + _incident_lines(message)))
    if message.slo is None or not message.slo.results:
        blocks.append(section("*SLO status*\n_Not available._"))
    else:
        blocks.append(section("*SLO status*"))
        blocks.extend(slo_summary_blocks(message.slo))
    blocks.append(section("*Last shift*\n" + fatigue_lines(message.fatigue)))
    blocks.append(
        section(
            "*Handoff checklist*\n" + "\n".join(f"☐ {escape(item)}" for item in message.checklist)
        )
    )
    upcoming = " · ".join(f"{_local(h, zone)}" for h in message.next_handoffs)
    blocks.append(context(f"Next handoffs: {upcoming}"))
    if message.confirmed_by:
        blocks.append(section(f"✅ {mention(message.confirmed_by)} has it."))
    else:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    button(
                        "I've got it",
                        action_id=OncallAction.CONFIRM_HANDOFF,
                        value=message.key,
                        style="primary",
                    )
                ],
            }
        )
    text = f"On-call handoff: {message.outgoing_paged} → {message.incoming_paged}"
    return {"text": fallback(escape(text)), "blocks": blocks}


def handoff_unconfirmed_reply(*, outgoing: str, incoming: str, waited: timedelta) -> dict[str, Any]:
    text = (
        f"⏰ {mention(incoming)}, the handoff is not confirmed after {humanize(waited)}: "
        f"press *I've got it* above. {mention(outgoing)}, please stay reachable until then."
    )
    return {"text": fallback(text), "blocks": [section(text)]}


def override_notice(
    *,
    pool: str,
    user: str,
    until: datetime,
    by: str,
    replaces: str | None,
    replaces_override: bool,
    zone: tzinfo = UTC,
) -> dict[str, Any]:
    """The on-call channel hears of an override: who covers which pool until when, and
    whom it replaces (an earlier override of the pool, said so)."""
    text = f"↪️ {mention(user)} covers the {escape(pool)} pool until {when(until, zone)}"
    if replaces and replaces_override:
        text += f", replacing the earlier override by which {mention(replaces)} covered it"
    elif replaces and replaces != user:
        text += f", in place of {mention(replaces)}"
    text += f" (set by {mention(by)})."
    return message(text)
