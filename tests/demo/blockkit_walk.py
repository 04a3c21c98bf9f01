"""Every Block Kit builder in ``handlers/blocks`` called with realistic domain objects.

``walk()`` maps each builder's name to the block lists it produced (several shapes per
builder where its output branches: open and acknowledged cards, a run waiting for approval
and one that needs a person, known and unknown SLOs…). ``NOT_BUILDERS`` are the helpers that
return strings; any other public function of ``handlers.blocks`` must be walked. What a
channel reads about an incident is said in the workspace's language: ``walk(words)`` says
it in ``words`` (``LANGUAGES``: each the bot speaks), the rest is English.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from types import ModuleType
from typing import Any

from bot.i18n import ENGLISH, Language, Words, words_for
from bot.incidents.model import (
    COMPONENT_MAX,
    COMPONENTS_MAX,
    TEXT_MAX,
    TITLE_MAX,
    AlertLine,
    Incident,
    IncidentStatus,
    Severity,
    TimelineEntry,
)
from bot.incidents.posts import AlertsReply
from bot.incidents.report import build_report
from bot.oncall.fatigue import fatigue
from bot.oncall.handoff_message import HandoffMessage, PoolHandoff
from bot.oncall.hours import Pool
from bot.oncall.overrides import Override
from bot.oncall.rotation import Rotation
from bot.oncall.service import FatigueReport, OnCallNow
from bot.runbooks import RunState, StepState
from bot.runbooks.definitions import default_definitions
from bot.runbooks.model import Run, StepRecord
from bot.runbooks.recovery import IncidentRecovery, RestoreStage
from bot.serving.models import AllModelsHealth, ModelHealth
from bot.settings import SreConfig
from bot.slo.budget import SloStatus
from bot.slo.definitions import default_slos
from bot.slo.evaluation import SloResult, deploy_verdict
from bot.slo.service import SloSnapshot
from handlers.blocks import alerts, chase, errors, incident, oncall, runbook, slo, text
from sandbox.serving.standin import StandinState

MODULES: tuple[ModuleType, ...] = (alerts, chase, errors, incident, oncall, runbook, slo, text)
LANGUAGES: tuple[Words, ...] = tuple(words_for(language) for language in Language)
NOT_BUILDERS = {
    "escape",
    "clip",
    "placeholder",
    "mention",
    "channel_link",
    "when",
    "mrkdwn",
    "plain",
    "fallback",
    "incident_fallback",
    "acknowledged",
    "fatigue_lines",
    "is_user_id",
    "user_in",
    "mention_users",
    "refusal_text",
    "failure_text",
    "unreadable_form_text",
    "not_recorded_text",
    "run_moved_text",
    "database_timeout_outcome",
}
Blocks = list[dict[str, Any]]
NOW = datetime(2026, 10, 14, 10, 30, tzinfo=UTC)
CONFIG = SreConfig.model_validate(
    {"oncall": {"weekday": ["U0AAA", "U0BBB", "U0CCC"], "weekend": ["U0DDD", "U0EEE"]}}
)


def builders() -> set[str]:
    """Every public function defined in ``handlers.blocks`` that may return Block Kit."""
    found = set()
    for module in MODULES:
        for name, value in inspect.getmembers(module, inspect.isfunction):
            if value.__module__ == module.__name__ and not name.startswith("_"):
                found.add(name)
    return found - NOT_BUILDERS


def blocks_of(output: Any) -> Blocks:
    """Blocks from whatever a builder returns: a message, a modal, a list, one block or
    one element (an element goes in the block it is used in)."""
    if isinstance(output, list):
        return output
    if "blocks" in output:
        blocks: Blocks = output["blocks"]
        return blocks
    if output.get("type") == "button":
        return [{"type": "actions", "elements": [output]}]
    return [output]


def _incidents() -> list[Incident]:
    opened = Incident(
        id="INC-20261014-101500",
        title="Checkout errors <!channel> & more",
        severity=Severity.SEV2,
        status=IncidentStatus.OPEN,
        created_at=NOW - timedelta(minutes=15),
        created_by="U0AAA",
        description="5xx from /api/checkout",
        components=["api", "payments"],
        channel_id="C0INCIDENTS",
        message_ts="1760437500.000100",
    )
    acknowledged = replace(
        opened, status=IncidentStatus.ACKNOWLEDGED, acknowledged_by="U0BBB", acknowledged_at=NOW
    )
    resolved = Incident(
        id="INC-20261013-090000",
        title="Qwen LLM failure",
        severity=Severity.SEV1,
        status=IncidentStatus.RESOLVED,
        created_at=NOW - timedelta(days=1),
        created_by="health-probe",
        acknowledged_by="alice",
        acknowledged_at=NOW - timedelta(days=1) + timedelta(minutes=4),
        resolved_at=NOW - timedelta(hours=20),
        root_cause="OOM on the GPU",
        resolution="Restarted with a smaller batch",
        timeline=[
            TimelineEntry(NOW - timedelta(days=1), "health-probe", "created", "3 probes failed"),
            TimelineEntry(NOW - timedelta(hours=20), "U0BBB", "resolved", "restarted"),
        ],
    )
    closed = Incident(
        id="INC-20261001-080000",
        title="Search is slow",
        severity=Severity.SEV3,
        status=IncidentStatus.CLOSED,
        created_at=NOW - timedelta(days=13),
        created_by="U0CCC",
        postmortem_url="https://wiki.example/pm/1",
    )
    return [opened, acknowledged, resolved, closed]


def _recoveries() -> list[IncidentRecovery]:
    """Qwen's recovery as a card shows it at each stage of its restore."""
    offered = IncidentRecovery(
        model="qwen",
        fallback="balanced <&>",
        notice_key="recovery:RUN-20261014-100000",
        runbook="qwen_restore_creative",
        stage=RestoreStage.OFFERED,
    )
    run = {"run_id": "RUN-20261014-103000", "started_by": "U0CCC"}
    return [
        offered,
        replace(offered, stage=RestoreStage.UNDER_WAY, run_state=RunState.WAITING_APPROVAL, **run),
        replace(offered, stage=RestoreStage.RESTORED, run_state=RunState.SUCCEEDED, **run),
        replace(offered, stage=RestoreStage.NOT_RESTORED, run_state=RunState.REJECTED, **run),
    ]


def _slo_snapshot(*, known: bool) -> SloSnapshot:
    definitions = default_slos()
    results = []
    for index, definition in enumerate(definitions):
        if not known and index % 2:
            results.append(SloResult.unknown(definition, reason="no data", at=NOW))
            continue
        left = [80.0, 15.0, -5.0, 100.0, 50.0][index]
        status = (
            SloStatus.HEALTHY
            if left > 20
            else SloStatus.WARNING
            if left > 0
            else SloStatus.EXHAUSTED
        )
        results.append(
            SloResult(
                name=definition.name,
                title=definition.title,
                kind=definition.kind,
                objective=definition.objective,
                window=definition.window,
                status=status,
                evaluated_at=NOW,
                good=9990.0,
                total=10000.0,
                error_ratio=0.001,
                actual=99.9,
                budget_used_pct=100 - left,
                budget_left_pct=left,
                budget_left_events=4.0,
                burn_rates={"5m": 2.0, "1h": 14.5, "6h": 6.1, "1d": 1.0, "3d": None},
            )
        )
    return SloSnapshot(at=NOW, results=results, verdict=deploy_verdict(results))


def _runs() -> list[Run]:
    definition = next(d for d in default_definitions() if d.name == "rl_reward_runaway_rollback")

    def run(state: RunState, states: list[StepState], **extra: Any) -> Run:
        steps = [
            StepRecord(index=i, step_id=spec.id, kind=spec.type, title=spec.title, state=s)
            for i, (spec, s) in enumerate(zip(definition.steps, states, strict=False))
        ]
        return Run(
            id="RUN-20261014-103000",
            runbook=definition.name,
            target=definition.target,
            requester="U0AAA",
            state=state,
            definition=definition,
            steps=steps,
            created_at=NOW,
            updated_at=NOW,
            **extra,
        )

    done, waiting = StepState.SUCCEEDED, StepState.WAITING_APPROVAL
    waits = run(RunState.WAITING_APPROVAL, [done, done, waiting, StepState.PENDING])
    waits.steps[2].expires_at = NOW + timedelta(minutes=30)
    waits.steps[1].detail = "ppo-000160: reward mean 20.57, std 8.01"
    stuck = run(RunState.NEEDS_ATTENTION, [done, done, done, StepState.UNKNOWN])
    stuck.steps[3].call = {"method": "POST", "url": "http://serving/admin/rl/rollback"}
    running = run(RunState.RUNNING, [done, StepState.RUNNING], incident_id="INC-1", note="x")
    dry = run(RunState.SUCCEEDED, [StepState.PLANNED] * 5, dry_run=True)
    return [waits, stuck, running, dry]


def _oncall() -> tuple[OnCallNow, list[Any], FatigueReport, list[HandoffMessage]]:
    rotation = Rotation.from_config(CONFIG)
    weeks = rotation.schedule(NOW, 4)
    override = Override(
        pool=Pool.WEEKDAY,
        user="U0CCC",
        start=NOW,
        end=NOW + timedelta(hours=4),
        created_by="U0AAA",
        reason="dentist",
        created_at=NOW,
    )
    now = OnCallNow(
        at=NOW,
        paged="U0AAA",
        pool=Pool.WEEKDAY,
        weekday="U0AAA",
        weekend="U0DDD",
        out_of_hours=False,
        overrides=[override],
        next_handoff=rotation.next_handoffs(NOW, 1)[0],
    )
    start = NOW - timedelta(days=7)
    pages = fatigue([(NOW - timedelta(hours=30), "U0AAA")], start, NOW, CONFIG.zone)
    report = FatigueReport(start=start, end=NOW, fatigue=pages, acknowledged=1, mtta=None)
    handoff = HandoffMessage(
        key="handoff:2026-10-16T08:00:00+00:00",
        at=NOW,
        pools=[PoolHandoff(Pool.WEEKDAY, "U0AAA", "U0BBB", list(weeks[0].coverage))],
        incoming_paged="U0DDD",
        outgoing_paged="U0AAA",
        open_incidents=_incidents()[:2],
        slo=_slo_snapshot(known=False),
        next_handoffs=rotation.next_handoffs(NOW, 2),
        fatigue=report,
    )
    confirmed = replace(handoff, confirmed_by="U0DDD", slo=None)
    return now, weeks, report, [handoff, confirmed]


def _alert_lines() -> list[AlertLine]:
    return [
        AlertLine(
            name=f"HighErrorRate{n}",
            summary="5xx above 2% <for> 5m & rising",
            severity="sev2" if n % 2 else "critical",
            where="api-7f9c" if n % 3 else "",
        )
        for n in range(12)
    ]


def _longest() -> Incident:
    """An incident with every field a person types at its longest, in Hangul (three bytes
    a character): what a card must still fit in Slack's limits."""
    return Incident(
        id="INC-20261014-101501",
        title="결" * TITLE_MAX,
        severity=Severity.SEV1,
        status=IncidentStatus.OPEN,
        created_at=NOW - timedelta(days=3, minutes=7),
        created_by="U0AAA",
        description="설" * TEXT_MAX,
        components=[f"{n:02d}" + "구" * (COMPONENT_MAX - 2) for n in range(COMPONENTS_MAX)],
        channel_id="C0INCIDENTS",
        root_cause="원" * TEXT_MAX,
        resolution="해" * TEXT_MAX,
        timeline=[TimelineEntry(NOW, "U0BBB", "note", "메" * TEXT_MAX)],
    )


def _incident_calls(words: Words) -> Iterator[tuple[str, Callable[[], Any]]]:
    """What a channel reads about an incident, in ``words``."""
    opened, acknowledged, resolved, closed = _incidents()
    longest = _longest()
    for shown in (opened, acknowledged, resolved, closed, longest):
        yield (
            "incident_card",
            partial(
                incident.incident_card, shown, respond_within=timedelta(minutes=30), words=words
            ),
        )
    for recovery in _recoveries():
        yield (
            "incident_card",
            partial(incident.incident_card, acknowledged, recovery=recovery, words=words),
        )
    yield (
        "incident_card",
        partial(incident.incident_card, resolved, recovery=_recoveries()[0], words=words),
    )
    yield (
        "incident_card",
        partial(incident.incident_card, longest, alerts=_alert_lines(), words=words),
    )
    yield "acknowledge_button", partial(incident.acknowledge_button, opened, words=words)
    yield "incident_created_reply", partial(incident.incident_created_reply, opened, words=words)
    for reason in ("not_in_channel", "is_archived", "channel_not_found", "ratelimited"):
        for shown in (opened, replace(opened, channel_id=None), longest):
            yield (
                "incident_created_reply",
                partial(
                    incident.incident_created_reply,
                    shown,
                    refused_in="C0INCIDENTS",
                    reason=reason,
                    words=words,
                ),
            )
    for moved_to in ("U0AAA", "C0ONCALL"):
        yield (
            "incident_card_late",
            partial(
                incident.incident_card_late,
                longest,
                reason="not_in_channel",
                moved_to=moved_to,
                words=words,
            ),
        )
    for action, note in (
        ("runbook succeeded", "RUN-20261014-010100 <done> & U0AAA"),
        ("joined", "Alert HighErrorRate (Sev1)"),
        ("status → mitigated", "메" * TEXT_MAX),
    ):
        yield (
            "incident_news_reply",
            partial(
                incident.incident_news_reply, action=action, note=note, actor="U0BBB", words=words
            ),
        )
    for shown in (opened, longest):
        yield (
            "reminder_reply",
            partial(
                chase.reminder_reply,
                shown,
                elapsed=timedelta(minutes=15),
                oncall="U0AAA",
                words=words,
            ),
        )
        yield (
            "escalation_reply",
            partial(
                chase.escalation_reply,
                shown,
                level=2,
                elapsed=timedelta(hours=1),
                respond_within=timedelta(minutes=30),
                people=["U0DDD"],
                user_group="S0ONCALL",
                broadcast=True,
                words=words,
            ),
        )
    for shown in (resolved, acknowledged, longest):
        for level in (None, 2):
            yield (
                "chase_outcome_reply",
                partial(chase.chase_outcome_reply, shown, level=level, words=words),
            )
    for days in (1, 2):
        yield (
            "postmortem_nudge_reply",
            partial(chase.postmortem_nudge_reply, resolved, days=days, words=words),
        )
    yield (
        "firing_alerts_section",
        partial(alerts.firing_alerts_section, _alert_lines(), words=words),
    )
    lines = tuple(_alert_lines())
    for news in (
        AlertsReply(key="alerts:1", subject=opened.id, fired=lines, more=3, truncated=2),
        AlertsReply(
            key="alerts:2", subject=opened.id, resolved=lines[:1], clipped=("summary <x>",)
        ),
        AlertsReply(key="alerts:3", subject=opened.id),
    ):
        yield "alerts_reply", partial(alerts.alerts_reply, news, words=words)


def _calls() -> Iterator[tuple[str, Callable[[], Any]]]:
    opened, acknowledged, resolved, closed = _incidents()
    every = _incidents()
    snapshot, patchy = _slo_snapshot(known=True), _slo_snapshot(known=False)
    now, weeks, report, handoffs = _oncall()
    standin = StandinState()
    health = AllModelsHealth.model_validate(standin.all_models_health())
    qwen = ModelHealth.model_validate(standin.model_health("qwen"))
    yield "section", lambda: text.section("*bold* _it_ `code` <@U0AAA> <#C0ONCALL>")
    yield "context", lambda: text.context("a", "b")
    yield "header", lambda: text.header("Header")
    yield "button", lambda: text.button("Go", action_id="go", value="1", style="primary")
    yield "message", lambda: text.message("one section")
    for shown in (opened, acknowledged, resolved, closed):
        yield "incident_detail", partial(incident.incident_detail, shown)
    yield "create_modal", lambda: incident.create_modal(origin_channel="C0INCIDENTS")
    yield "status_modal", lambda: incident.status_modal(opened)
    yield "resolve_modal", lambda: incident.resolve_modal(opened)
    yield "yes_no", lambda: text.message(f"loaded {text.yes_no(True)}")
    yield "incident_list", lambda: incident.incident_list(every)
    yield "incident_list", lambda: incident.incident_list([])
    yield (
        "incident_report",
        lambda: incident.incident_report(
            build_report(every, since=NOW - timedelta(days=30), until=NOW)
        ),
    )
    yield (
        "postmortem_draft_messages",
        lambda: incident.postmortem_draft_messages(
            resolved, "# Summary\nQwen ran out of memory.\n# Timeline\n- 09:00 probes failed"
        )[0],
    )
    yield "now_reply", lambda: oncall.now_reply(now, CONFIG.zone)
    for replaces_override in (False, True):
        yield (
            "override_notice",
            partial(
                oncall.override_notice,
                pool="weekday",
                user="U0CCC",
                until=NOW + timedelta(hours=4),
                by="U0AAA",
                replaces="U0BBB",
                replaces_override=replaces_override,
                zone=CONFIG.zone,
            ),
        )
    yield "schedule_reply", lambda: oncall.schedule_reply(weeks, CONFIG.zone)
    yield "fatigue_reply", lambda: oncall.fatigue_reply(report)
    for message in handoffs:
        yield "handoff_blocks", partial(oncall.handoff_blocks, message, CONFIG.zone)
    yield (
        "handoff_unconfirmed_reply",
        lambda: oncall.handoff_unconfirmed_reply(
            outgoing="U0AAA", incoming="U0DDD", waited=timedelta(minutes=30)
        ),
    )
    for shown_run in _runs():
        yield (
            "run_message",
            partial(runbook.run_message, shown_run, approvers=["U0AAA", "U0BBB", "U0DDD"]),
        )
    yield "runbook_list", lambda: runbook.runbook_list(default_definitions())
    yield "health_reply", lambda: runbook.health_reply(health, [qwen])
    yield "recovery_notice", lambda: runbook.recovery_notice("qwen", notice_key="recovery:RUN-1")
    yield (
        "recovery_restored",
        lambda: runbook.recovery_restored("qwen", run_id="RUN-20261014-010000", by="U0BBB"),
    )
    for reachable in (None, "connection refused"):
        yield (
            "drill_summary",
            partial(
                runbook.drill_summary, reachable=reachable, lines=["• rl_rollback: RUN-1 succeeded"]
            ),
        )
    yield (
        "failure_modal",
        lambda: errors.failure_modal(
            errors.failure_text("3f2a9c01de", outcome=errors.NOTHING_CHANGED)
        ),
    )
    yield "slo_help", lambda: slo.slo_help([d.name for d in default_slos()])
    for shown_snapshot in (snapshot, patchy):
        yield "verdict_blocks", partial(slo.verdict_blocks, shown_snapshot)
        yield "report_blocks", partial(slo.report_blocks, shown_snapshot)
        yield "digest_blocks", partial(slo.digest_blocks, shown_snapshot)
        yield "slo_summary_blocks", partial(slo.slo_summary_blocks, shown_snapshot)
        for result in shown_snapshot.results:
            yield "slo_detail_blocks", partial(slo.slo_detail_blocks, result)
    yield (
        "status_notice_blocks",
        lambda: slo.status_notice_blocks(snapshot.results[1], SloStatus.HEALTHY),
    )


def walk(words: Words = ENGLISH) -> dict[str, list[Blocks]]:
    """Builder name → every block list it produced in this walk, what a channel reads about
    an incident said in ``words``."""
    produced: dict[str, list[Blocks]] = {}
    for name, build in (*_incident_calls(words), *_calls()):
        produced.setdefault(name, []).append(blocks_of(build()))
    return produced


def messages(words: Words = ENGLISH) -> dict[str, list[Any]]:
    """Builder name → what each call returned whole (a message with its ``text``, a modal,
    blocks), for the limits Slack holds a whole message or view to."""
    produced: dict[str, list[Any]] = {}
    for name, build in (*_incident_calls(words), *_calls()):
        produced.setdefault(name, []).append(build())
    return produced


def types_in(blocks: Blocks) -> tuple[set[str], set[str]]:
    """(block types, types of everything nested in them: elements and text objects)."""
    nested: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if "type" in value:
                nested.add(str(value["type"]))
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for block in blocks:
        for key, value in block.items():
            if key != "type":
                visit(value)
    return {str(block["type"]) for block in blocks}, nested
