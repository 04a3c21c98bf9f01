"""Block Kit for SLOs: the deploy verdict, the guide's report, one SLO in detail, the
digest and status notices.

Each builder returns a whole message (``{"text": fallback, "blocks": [...]}``), ready for
``respond(**msg)`` or ``chat_postMessage(**msg)``. An unknown SLO always says its data is
unavailable and why, and shows no budget numbers; an unknown verdict never says "allowed".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.durations import parse_duration
from bot.numbers import (
    budget_left_phrase,
    format_budget_left,
    format_count,
    format_events_left,
    format_percent,
)
from bot.slo.budget import SloStatus
from bot.slo.evaluation import BURN_WINDOWS, DeployVerdict, SloResult, Verdict
from bot.slo.rules import burn_factor, policy_for
from bot.slo.service import SloSnapshot
from handlers.blocks.text import (
    SECTION_TEXT_MAX,
    clip,
    context,
    escape,
    fallback,
    header,
    mrkdwn,
    placeholder,
    section,
    when,
)

Block = dict[str, Any]
Reply = dict[str, Any]

MESSAGE_BLOCKS_MAX = 50
STATUS_ICON = {
    SloStatus.HEALTHY: "✅",
    SloStatus.WARNING: "⚠️",
    SloStatus.EXHAUSTED: "🚨",
    SloStatus.UNKNOWN: "❔",
}
_GUIDANCE = {  # docs/guide.md#error-budget
    SloStatus.HEALTHY: "More than 20% of the budget left: feature deploys and experiments go ahead.",
    SloStatus.WARNING: "Under 20% left: deploy with care, strengthen stability tests, watch closely.",
    SloStatus.EXHAUSTED: (
        "Budget exhausted: all feature deploys stop; only quality and bug fixes until the "
        "SLO recovers."
    ),
}
_EVENT_WORDS = {  # total, bad, bad still allowed
    "events": ("Total Requests", "Failed Requests", "Failures Left"),
    "latency": ("Total Requests", "Slow Requests", "Slow Requests Left"),
    "threshold": ("Samples", "Bad Samples", "Bad Samples Left"),
}


def slo_help(names: Sequence[str]) -> Reply:
    known = ", ".join(f"`{escape(n)}`" for n in names) or "_none configured_"
    text = (
        "*/slo* — SLOs and error budgets\n"
        "• `/slo check` — may we deploy? The verdict and the SLOs that block it\n"
        "• `/slo report` — every SLO's target, actual and error budget\n"
        "• `/slo &lt;name&gt;` — one SLO in detail, with its burn rates\n"
        f"• `/slo help` — this text\nSLOs: {known}"
    )
    return {
        "text": fallback("/slo check | report | &lt;name&gt; | help"),
        "blocks": [section(text)],
    }


def verdict_blocks(snapshot: SloSnapshot) -> Reply:
    """``/slo check``: allowed, blocked (naming the SLOs), or data unavailable with reasons."""
    verdict = snapshot.verdict
    by_name = {r.name: r for r in snapshot.results}
    blocks: list[Block] = [section(_verdict_text(verdict))]
    if verdict.blocking:
        lines = [_exhausted_line(by_name[name]) for name in verdict.blocking]
        blocks.extend(_packed(lines))
        blocks.append(context(escape(_GUIDANCE[SloStatus.EXHAUSTED])))
    if verdict.unknown:
        blocks.extend(_packed(_unknown_lines(by_name[n] for n in verdict.unknown)))
    low = [r for r in snapshot.results if r.status is SloStatus.WARNING]
    if low:
        blocks.extend(_packed([f"⚠️ Low budget: {_left_line(r)}" for r in low]))
    blocks.append(context(_evaluated(snapshot)))
    return {"text": fallback(_verdict_fallback(verdict)), "blocks": _capped(blocks)}


def report_blocks(snapshot: SloSnapshot) -> Reply:
    """``/slo report``: the guide's "SLO & Error Budget Report", one section per SLO."""
    room = MESSAGE_BLOCKS_MAX - 5
    blocks: list[Block] = [header("SLO & Error Budget Report")]
    blocks.extend(_report_section(r) for r in snapshot.results[:room])
    if len(snapshot.results) > room:
        blocks.append(
            section(f"…and {len(snapshot.results) - room} more: `/slo {placeholder('name')}`")
        )
    blocks.append({"type": "divider"})
    blocks.append(section(_report_verdict(snapshot.verdict)))
    blocks.append(context(_evaluated(snapshot)))
    return {"text": fallback(_verdict_fallback(snapshot.verdict)), "blocks": blocks}


def slo_detail_blocks(result: SloResult) -> Reply:
    """``/slo <name>``: the report fields, the burn rates over every alert window, the alerts."""
    blocks: list[Block] = [_report_section(result)]
    if result.status is not SloStatus.UNKNOWN:
        rates = [f"*{w}*\n{_rate(result.burn_rates.get(w))}" for w in BURN_WINDOWS]
        blocks.append(section("*Burn rates* (1× spends exactly the budget over the window)"))
        blocks.append({"type": "section", "fields": [mrkdwn(t, 2000) for t in rates]})
        blocks.append(section(_alerts_text(result)))
    evaluated = f"evaluated {when(result.evaluated_at)}{_data_ended(result.asked_at)}"
    blocks.append(context(f"`{escape(result.name)}` · {evaluated}"))
    return {"text": fallback(escape(_left_line(result))), "blocks": blocks}


def digest_blocks(snapshot: SloSnapshot, *, chart_in_thread: bool = True) -> Reply:
    """The scheduled channel digest: the verdict and one line per SLO."""
    blocks: list[Block] = [header("📊 SLO digest"), section(_verdict_text(snapshot.verdict))]
    blocks.extend(slo_summary_blocks(snapshot))
    notes = [_evaluated(snapshot)]
    if chart_in_thread:
        notes.append("chart of budget left over each window in the thread")
    notes.append("`/slo report` for the details")
    blocks.append(context(" · ".join(notes)))
    text = f"SLO digest: {_verdict_fallback(snapshot.verdict)}"
    return {"text": fallback(text), "blocks": _capped(blocks)}


def slo_summary_blocks(snapshot: SloSnapshot) -> list[Block]:
    """One line per SLO (budget left, or why it is unknown), packed into few sections.

    Shared by the digest and the on-call handoff, so both read the same evaluation.
    """
    return _packed([_summary_line(r) for r in snapshot.results])


def status_notice_blocks(result: SloResult, previous_status: SloStatus) -> Reply:
    """Posted once when an SLO's status really changes (see ``bot.slo.duties``)."""
    icon = STATUS_ICON[result.status]
    title = escape(result.title)
    text = (
        f"{icon} *{title}* is now *{result.status.value}* (was {previous_status.value}): "
        f"{budget_left_phrase(result.budget_left_pct, budget=f'of the {escape(result.window)} error budget')}."
    )
    blocks = [section(text)]
    guidance = _GUIDANCE.get(result.status)
    if guidance:
        blocks.append(context(escape(guidance)))
    blocks.append(context(f"`/slo {escape(result.name)}` for burn rates"))
    plain_text = f"{result.title}: {previous_status.value} → {result.status.value}"
    return {"text": fallback(escape(plain_text)), "blocks": blocks}


# ----- pieces


def _verdict_text(verdict: DeployVerdict) -> str:
    if verdict.verdict is Verdict.BLOCKED:
        names = ", ".join(f"`{escape(n)}`" for n in verdict.blocking)
        return f"🚨 *Deployments blocked* due to SLO violations: {names}"
    if verdict.verdict is Verdict.UNKNOWN:
        return (
            "❔ *SLO data unavailable: cannot tell whether deployments are safe.* "
            "Treat feature deploys as blocked until the data is back."
        )
    return "✅ *Deployments allowed*: all SLOs within error budget"


def _verdict_fallback(verdict: DeployVerdict) -> str:
    if verdict.verdict is Verdict.BLOCKED:
        return escape(
            f"🚨 Deployments blocked due to SLO violations: {', '.join(verdict.blocking)}"
        )
    if verdict.verdict is Verdict.UNKNOWN:
        return "❔ SLO data unavailable: cannot tell whether deployments are safe"
    return "✅ Deployments allowed: all SLOs within error budget"


def _report_verdict(verdict: DeployVerdict) -> str:
    """The guide's closing "Status:" line."""
    if verdict.verdict is Verdict.BLOCKED:
        names = escape(", ".join(verdict.blocking))
        return f"🚨 *Status:* Error budget exhausted ({names}) - Deployments blocked"
    if verdict.verdict is Verdict.UNKNOWN:
        names = escape(", ".join(verdict.unknown)) or "no SLOs evaluated"
        return f"❔ *Status:* SLO data unavailable ({names}) - Cannot tell if deployments are safe"
    return "✅ *Status:* All SLOs within error budget - Deployments allowed"


def _report_section(result: SloResult) -> Block:
    icon = STATUS_ICON[result.status]
    title = (
        f"{icon} *{escape(result.title)}*  ·  `{escape(result.name)}` over {escape(result.window)}"
    )
    fields = [f"*Target*\n{format_percent(result.objective)}"]
    if result.status is SloStatus.UNKNOWN:
        fields.append("*Status*\nunknown")
        reason = escape(result.reason or "no reason given")
        return {
            "type": "section",
            "text": mrkdwn(f"{title}\nData unavailable: {reason}"),
            "fields": [mrkdwn(f, 2000) for f in fields],
        }
    fields += [
        f"*Actual*\n{format_percent(result.actual)}",
        f"*Error Budget Used*\n{format_percent(result.budget_used_pct)}",
        f"*Error Budget Left*\n{format_budget_left(result.budget_left_pct)}",
        f"*Status*\n{result.status.value}",
    ]
    total_word, bad_word, left_word = _EVENT_WORDS.get(result.kind, ("Total", "Bad", "Bad Left"))
    fields += [
        f"*{total_word}*\n{format_count(result.total)}",
        f"*{bad_word}*\n{format_count(result.bad)}",
        f"*{left_word}*\n{format_events_left(result.budget_left_events)}",
    ]
    return {"type": "section", "text": mrkdwn(title), "fields": [mrkdwn(f, 2000) for f in fields]}


def _alerts_text(result: SloResult) -> str:
    """Which burn-rate alerts (docs/guide.md#burn-rate-alerts) the current rates would fire."""
    window = parse_duration(result.window)
    lines = []
    for alert in policy_for(window):
        factor = float(burn_factor(alert, window))
        long_rate = result.burn_rates.get(alert.long_window)
        short_rate = result.burn_rates.get(alert.short_window)
        if long_rate is None or short_rate is None:
            state = "no data"
        elif long_rate > factor and short_rate > factor:
            state = "🔥 *firing*"
        else:
            state = "quiet"
        lines.append(
            f"• {alert.severity} above {factor:.3g}× over both {alert.long_window} and "
            f"{alert.short_window}: {state}"
        )
    return "*Burn-rate alerts*\n" + "\n".join(lines)


def _exhausted_line(result: SloResult) -> str:
    return (
        f"🚨 *{escape(result.title)}* (`{escape(result.name)}`): {format_percent(result.actual)} against "
        f"a target of {format_percent(result.objective)}, {budget_left_phrase(result.budget_left_pct)}"
    )


def _unknown_lines(results: Iterable[SloResult]) -> list[str]:
    """Unknown SLOs grouped by reason: Prometheus down shows once, not five times."""
    grouped: dict[str, list[str]] = {}
    for result in results:
        grouped.setdefault(result.reason or "no reason given", []).append(result.name)
    return [
        f"❔ Data unavailable for {', '.join(f'`{escape(n)}`' for n in names)}: {escape(reason)}"
        for reason, names in grouped.items()
    ]


def _summary_line(result: SloResult) -> str:
    icon = STATUS_ICON[result.status]
    head = f"{icon} *{escape(result.title)}* ({result.objective:g}% over {escape(result.window)})"
    if result.status is SloStatus.UNKNOWN:
        return f"{head}: data unavailable: {escape(result.reason or 'no reason given')}"
    return f"{head}: {budget_left_phrase(result.budget_left_pct)}, {result.status.value}"


def _left_line(result: SloResult) -> str:
    if result.status is SloStatus.UNKNOWN:
        return f"{result.title}: data unavailable: {result.reason or 'no reason given'}"
    return f"{result.title}: {budget_left_phrase(result.budget_left_pct)} ({result.status.value})"


def _evaluated(snapshot: SloSnapshot) -> str:
    at = f"{when(snapshot.at)}{_data_ended(snapshot.asked_at)}"
    return f"Evaluated {at} · {len(snapshot.results)} SLOs"


def _data_ended(asked_at: datetime | None) -> str:
    """Said when an answer was read before the instant asked (``SloService``'s data_clock)."""
    if asked_at is None:
        return ""
    return f", Prometheus's latest data (the bot's clock reads {when(asked_at)})"


def _packed(lines: Sequence[str]) -> list[Block]:
    """Lines joined into as few sections as Slack's 3,000-character limit allows."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        line = clip(line, SECTION_TEXT_MAX)
        if current and len(current) + 1 + len(line) > SECTION_TEXT_MAX:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def _capped(blocks: list[Block]) -> list[Block]:
    """At most 50 blocks; the last kept one says that the rest is in ``/slo report``."""
    if len(blocks) <= MESSAGE_BLOCKS_MAX:
        return blocks
    return [*blocks[: MESSAGE_BLOCKS_MAX - 1], context("…more in `/slo report`")]


def _rate(value: float | None) -> str:
    return "n/a (no data)" if value is None else f"{value:.2f}×"
