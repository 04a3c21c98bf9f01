"""Block Kit for incidents: the card, its modals, lists, the report and the help text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from enum import StrEnum
from typing import Any

from bot.durations import format_duration, humanize
from bot.incidents.model import ACTIVE, TITLE_MAX, AlertLine, Incident, IncidentStatus, Severity
from bot.incidents.report import DurationStats, IncidentReport
from bot.runbooks.recovery import IncidentRecovery, RestoreStage
from handlers.blocks.alerts import firing_alerts_section
from handlers.blocks.runbook import RunbookAction
from handlers.blocks.text import (
    SECTION_TEXT_MAX,
    button,
    clip,
    context,
    escape,
    fallback,
    header,
    is_user_id,
    mention,
    mention_users,
    mrkdwn,
    placeholder,
    plain,
    section,
    when,
)


class IncidentAction(StrEnum):
    ACKNOWLEDGE = "incident_ack"
    UPDATE_STATUS = "incident_status"
    RESOLVE = "incident_resolve"


class IncidentView(StrEnum):
    CREATE = "incident_create_modal"
    STATUS = "incident_status_modal"
    RESOLVE = "incident_resolve_modal"


SEVERITY_ICON = {Severity.SEV1: "🔴", Severity.SEV2: "🟠", Severity.SEV3: "🟡", Severity.SEV4: "🔵"}
STATUS_ICON = {
    IncidentStatus.OPEN: "🚨",
    IncidentStatus.ACKNOWLEDGED: "👀",
    IncidentStatus.INVESTIGATING: "🔍",
    IncidentStatus.MITIGATED: "🩹",
    IncidentStatus.RESOLVED: "✅",
    IncidentStatus.CLOSED: "📁",
}


def _title_line(incident: Incident) -> str:
    return f"{incident.id} [{incident.severity.label}] {incident.title}"


def incident_fallback(incident: Incident) -> str:
    return fallback(
        escape(f"{STATUS_ICON[incident.status]} {_title_line(incident)} — {incident.status.value}")
    )


def incident_card(
    incident: Incident,
    *,
    respond_within: Any = None,
    alerts: Sequence[AlertLine] = (),
    recovery: IncidentRecovery | None = None,
    zone: tzinfo = UTC,
) -> list[dict[str, Any]]:
    """The one message per incident, updated in place as it changes (with the alerts
    firing for it, when Alertmanager opened it, and its model's recovery and restore, when
    a downshift's recovery was told to it); its times fall back to ``zone``'s."""
    sev = incident.severity
    blocks: list[dict[str, Any]] = [
        header(f"{STATUS_ICON[incident.status]} {incident.id} · {SEVERITY_ICON[sev]} {sev.label}"),
    ]
    summary = f"*{escape(incident.title)}*"
    if incident.description:
        summary += "\n" + escape(incident.description)
    blocks.append(section(summary))
    ack = acknowledged(incident) or "_not yet_"
    severity_text = f"{SEVERITY_ICON[sev]} {sev.label}"
    if respond_within is not None:
        severity_text += f" (respond within {format_duration(respond_within)})"
    fields = [
        f"*Status*\n{STATUS_ICON[incident.status]} {incident.status.label}",
        f"*Severity*\n{severity_text}",
        f"*Acknowledged*\n{ack}",
        f"*Opened*\n{when(incident.created_at, zone)} by {mention(incident.created_by)}",
    ]
    if incident.components:
        fields.append("*Components*\n" + escape(", ".join(incident.components)))
    blocks.append({"type": "section", "fields": [mrkdwn(f, 2000) for f in fields]})
    details = []
    if incident.root_cause:
        details.append(f"*Root cause*\n{escape(incident.root_cause)}")
    if incident.resolution:
        details.append(f"*Resolution*\n{escape(incident.resolution)}")
    if incident.postmortem_url:
        details.append(f"*Postmortem*\n{escape(incident.postmortem_url)}")
    elif incident.postmortem_pending:
        details.append("*Postmortem*\n_required before closing_")
    for text in details:
        blocks.append(section(text))
    if alerts:
        blocks.append(firing_alerts_section(alerts))
    if recovery is not None:
        blocks.append(_recovery_section(incident, recovery))
    latest = _latest_line(incident, zone)
    if latest:
        blocks.append(context(latest))
    buttons = _card_buttons(incident)
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"incident_actions:{incident.id}", "elements": buttons}
        )
    elif incident.status is IncidentStatus.RESOLVED:
        blocks.append(
            context(
                f"`/incident close {incident.id}` closes it · "
                f"`/incident status {incident.id} investigating` reopens it"
            )
        )
    blocks.append(context(f"`/incident show {incident.id}` · timeline, notes and history"))
    return blocks


def acknowledged(incident: Incident) -> str | None:
    """Who acknowledged ``incident`` and how long after it was opened, once someone did."""
    if not (incident.acknowledged_by and incident.acknowledged_at):
        return None
    delay = humanize(incident.acknowledged_at - incident.created_at)
    return f"{mention(incident.acknowledged_by)} after {delay}"


def _card_buttons(incident: Incident) -> list[dict[str, Any]]:
    """What the card still offers: Acknowledge while open, status and Resolve while
    active; a resolved or closed incident's card has no buttons left to press."""
    if incident.status not in ACTIVE:
        return []
    buttons = []
    if incident.status is IncidentStatus.OPEN:
        buttons.append(
            button(
                "Acknowledge",
                action_id=IncidentAction.ACKNOWLEDGE,
                value=incident.id,
                style="danger",
            )
        )
    buttons.append(
        button("Update status", action_id=IncidentAction.UPDATE_STATUS, value=incident.id)
    )
    buttons.append(
        button("Resolve", action_id=IncidentAction.RESOLVE, value=incident.id, style="primary")
    )
    return buttons


def _recovery_section(incident: Incident, recovery: IncidentRecovery) -> dict[str, Any]:
    """Where creative stands since the incident's model recovered: while no restore has
    started and the incident is active, the recovery notice's own restore button (its
    key), so a press here or there starts one run; after a restore, what came of it."""
    model = f"*{escape(recovery.model.capitalize())}*"
    fallback = f"*{escape(recovery.fallback)}*" if recovery.fallback else "its fallback"
    run = f"*{escape(recovery.run_id or '')}*"
    match recovery.stage:
        case RestoreStage.OFFERED:
            text = f"✅ {model} recovered; creative still served by {fallback}"
            if not incident.is_active:
                return section(text + ".")
            block = section(text + ": restore?")
            block["accessory"] = button(
                "Restore creative mode",
                action_id=RunbookAction.RESTORE,
                value=recovery.notice_key,
                style="primary",
            )
            return block
        case RestoreStage.UNDER_WAY:
            return section(
                f"♻️ {model} recovered; {mention(recovery.started_by or 'someone')} started "
                f"the restore as {run}: creative is still served by {fallback} until it "
                "succeeds (its message is in this thread)."
            )
        case RestoreStage.RESTORED:
            ready = ": resolve when you are ready" if incident.is_active else ""
            return section(
                f"✅ {model} recovered and creative is back on its own model ({run} "
                f"restored it){ready}."
            )
        case RestoreStage.NOT_RESTORED:
            label = recovery.run_state.label if recovery.run_state else "unfinished"
            return section(
                f"⚠️ {model} recovered, but the restore {run} ended {escape(label)}: creative "
                f"may still be served by {fallback}. "
                f"`/runbook run {escape(recovery.runbook)} --incident {incident.id}` tries again."
            )


def _latest_line(incident: Incident, zone: tzinfo) -> str:
    """The newest timeline entry (a note, a status change, a run), when there is one besides
    the declaration: what a reader of the card wants to know first."""
    if not incident.timeline or incident.timeline[-1].action == "created":
        return ""
    entry = incident.timeline[-1]
    note = f" — {escape(clip(entry.note, 500))}" if entry.note else ""
    return (
        f"*Latest:* {escape(entry.action)}{note} · {mention(entry.actor)}, {when(entry.at, zone)}"
    )


def incident_news_reply(*, action: str, note: str, actor: str) -> dict[str, Any]:
    """A thread reply telling what the incident's timeline just gained."""
    text = f"🧾 *{escape(action)}*" + (f" — {mention_users(clip(note, 2000))}" if note else "")
    if is_user_id(actor):
        text += f" ({mention(actor)})"
    summary = f"{action}: {note}" if note else action
    return {"text": fallback(escape(summary)), "blocks": [section(text)]}


def _severity_options() -> list[dict[str, Any]]:
    return [
        {"text": plain(f"{SEVERITY_ICON[s]} {s.label}", 75), "value": s.value} for s in Severity
    ]


def _text_input(
    block_id: str,
    label: str,
    *,
    multiline: bool = False,
    optional: bool = False,
    max_length: int = 3000,
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label, 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": max_length,
        },
    }


def create_modal(*, origin_channel: str) -> dict[str, Any]:
    """``/incident create`` without arguments: title, severity, components, description."""
    return {
        "type": "modal",
        "callback_id": IncidentView.CREATE,
        "private_metadata": origin_channel,
        "title": plain("Declare an incident", 24),
        "submit": plain("Declare", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            _text_input("title", "Title: what is broken, as users see it", max_length=TITLE_MAX),
            {
                "type": "input",
                "block_id": "severity",
                "label": plain("Severity", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": _severity_options(),
                    "initial_option": _severity_options()[2],
                },
            },
            _text_input(
                "components", "Affected components (comma separated)", optional=True, max_length=500
            ),
            _text_input("description", "Description", multiline=True, optional=True),
        ],
    }


def status_modal(incident: Incident) -> dict[str, Any]:
    choices = [IncidentStatus.INVESTIGATING, IncidentStatus.MITIGATED, IncidentStatus.RESOLVED]
    options = [
        {"text": plain(f"{STATUS_ICON[s]} {s.label}", 75), "value": s.value} for s in choices
    ]
    return {
        "type": "modal",
        "callback_id": IncidentView.STATUS,
        "private_metadata": incident.id,
        "title": plain("Update status", 24),
        "submit": plain("Update", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"*{incident.id}* · {escape(clip(incident.title, 2000))}"),
            {
                "type": "input",
                "block_id": "status",
                "label": plain("New status", 2000),
                "element": {"type": "static_select", "action_id": "value", "options": options},
            },
            _text_input("note", "Note for the timeline", multiline=True, optional=True),
        ],
    }


def resolve_modal(incident: Incident) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": IncidentView.RESOLVE,
        "private_metadata": incident.id,
        "title": plain("Resolve incident", 24),
        "submit": plain("Resolve", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"*{incident.id}* · {escape(clip(incident.title, 2000))}"),
            _text_input("resolution", "What resolved it?", multiline=True),
        ],
    }


REFUSAL_WHY = {
    "not_in_channel": "the bot is not in that channel",
    "is_archived": "that channel is archived",
    "channel_not_found": "the bot cannot see that channel (deleted, or private without it)",
}
REFUSAL_FIX = {
    "not_in_channel": "invite the bot there (`/invite @Artisan SRE`)",
    "is_archived": "unarchive it",
    "channel_not_found": "invite the bot there, or fix `channels.incidents` in sre.yaml",
}


def _where(channel: str) -> str:
    """A channel by its link; a direct message (``D…``, or a user ID) as such."""
    if channel.startswith(("D", "U", "W")):
        return "in a direct message to whoever is paged"
    return f"in <#{channel}>"


def incident_created_reply(
    incident: Incident, *, refused_in: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    """The reporter's answer: where the card is (``incident.channel_id``), and when its own
    channel (``refused_in``) refused it, why, where it went instead and what to do."""
    declared = f"*{incident.id}* [{incident.severity.label}] {escape(incident.title)}"
    if refused_in is None:
        where = f" in <#{incident.channel_id}>" if incident.channel_id else ""
        text = f"🚨 Declared {declared}{where}."
        return {"text": fallback(text), "blocks": [section(text)]}
    why = f": {REFUSAL_WHY[reason]}" if reason in REFUSAL_WHY else ""
    fix = REFUSAL_FIX.get(reason or "", "invite the bot there")
    if incident.channel_id:
        went = f"it was posted {_where(incident.channel_id)} instead"
    else:
        went = (
            f"it could not be posted anywhere, but the incident is recorded as *{incident.id}* "
            "(`/incident show` has it)"
        )
    text = (
        f"⚠️ Declared {declared}, but Slack refused the card in <#{refused_in}>{why}; {went}. "
        f"To have it there, {fix}: the bot tries again every few minutes."
    )
    return {"text": fallback(text), "blocks": [section(text)]}


def incident_card_late(incident: Incident, *, reason: str, moved_to: str) -> dict[str, Any]:
    """What lands in the channel that refused a card, once it takes posts again."""
    why = REFUSAL_WHY.get(reason, reason)
    text = (
        f"🚨 *{incident.id}* [{incident.severity.label}] {escape(incident.title)} was declared "
        f"while Slack refused the bot here ({why}): its card is {_where(moved_to)}."
    )
    return {"text": fallback(text), "blocks": [section(text)]}


def incident_list(incidents: list[Incident]) -> dict[str, Any]:
    if not incidents:
        text = "✅ No open incidents."
        return {"text": text, "blocks": [section(text)]}
    lines = []
    for i in incidents[:40]:
        owner = f" · {mention(i.acknowledged_by)}" if i.acknowledged_by else " · *unacknowledged*"
        lines.append(
            f"{STATUS_ICON[i.status]} *{i.id}* {SEVERITY_ICON[i.severity]} {i.severity.label} "
            f"{escape(clip(i.title, 120))} · {i.status.value}{owner}"
        )
    blocks = [header(f"Open incidents ({len(incidents)})")]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_TEXT_MAX - 10:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return {"text": f"{len(incidents)} open incidents", "blocks": blocks}


def incident_detail(incident: Incident, *, zone: tzinfo = UTC) -> dict[str, Any]:
    """``/incident show``: the card without its buttons, and the timeline."""
    blocks = incident_card(incident, zone=zone)
    blocks = [b for b in blocks if b["type"] != "actions"][:-1]
    entries = incident.timeline[-25:]
    lines = [
        f"{when(e.at, zone)} *{escape(e.action)}* by {mention(e.actor)}"
        + (f" — {escape(clip(e.note, 300))}" if e.note else "")
        for e in entries
    ]
    if lines:
        blocks.append(section("*Timeline*\n" + "\n".join(lines)))
    return {"text": incident_fallback(incident), "blocks": blocks}


def _stats(stats: DurationStats) -> str:
    if stats.count == 0 or stats.median is None or stats.mean is None:
        return "no data"
    return f"median {humanize(stats.median)} · mean {humanize(stats.mean)} (n={stats.count})"


def incident_report(report: IncidentReport) -> dict[str, Any]:
    period = "all time" if report.since is None else f"since {report.since:%Y-%m-%d}"
    severities = " · ".join(f"{s.label}: {n}" for s, n in report.by_severity.items())
    statuses = " · ".join(f"{s.value}: {n}" for s, n in report.by_status.items())
    pending = ", ".join(i.id for i in report.open_postmortems[:20]) or "none"
    text = (
        f"*Incidents ({period}): {report.total}*\n"
        f"*By severity* {severities}\n*By status* {statuses}\n"
        f"*MTTA* (opened → first acknowledged) {_stats(report.mtta)}\n"
        f"*MTTR* (opened → resolved) {_stats(report.mttr)}\n"
        f"*Postmortems due* {pending}"
    )
    return {
        "text": f"Incident report: {report.total} incidents",
        "blocks": [header("Incident report"), section(text)],
    }


# Slack refuses a message at about 13 k characters of block text (msg_blocks_too_long),
# below its 50 blocks of 3,000: a long draft goes out in parts.
DRAFT_TEXT_PER_MESSAGE = 12_000
DRAFT_BLOCKS_PER_MESSAGE = 48  # 50 less the header and the closing context


def postmortem_draft_messages(incident: Incident, draft: str) -> list[dict[str, Any]]:
    """The draft as mrkdwn sections, cut at line (else word) boundaries into messages that
    each fit Slack's limits; every section has text, nothing of the draft is dropped. The
    people it names by ID are mentions, which Slack shows (and copies) by name."""
    groups: list[list[str]] = [[]]
    size = 0
    for text in _draft_sections(mention_users(draft)):
        if groups[-1] and (
            size + len(text) > DRAFT_TEXT_PER_MESSAGE or len(groups[-1]) >= DRAFT_BLOCKS_PER_MESSAGE
        ):
            groups.append([])
            size = 0
        groups[-1].append(text)
        size += len(text)
    title = f"📝 Postmortem draft · {incident.id}"
    messages = []
    for number, group in enumerate(groups, start=1):
        part = f" ({number}/{len(groups)})" if len(groups) > 1 else ""
        blocks = [header(title + part)] + [section(text) for text in group]
        if number == len(groups):
            blocks.append(
                context(
                    "Copy it to the wiki, fill it in, then "
                    f"`/incident postmortem {incident.id} {placeholder('url')}`."
                )
            )
        messages.append({"text": f"Postmortem draft for {incident.id}{part}", "blocks": blocks})
    return messages


def _draft_sections(escaped: str) -> list[str]:
    """Section texts of at most ``SECTION_TEXT_MAX`` characters, none blank."""
    sections: list[str] = []
    chunk: list[str] = []
    size = 0
    for line in _draft_lines(escaped):
        if chunk and size + len(line) + 1 > SECTION_TEXT_MAX:
            sections.append("\n".join(chunk))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    sections.append("\n".join(chunk))
    return [text for text in sections if text.strip()]


def _draft_lines(escaped: str) -> list[str]:
    """Markdown headings in bold; a line longer than a section is cut at spaces (or, for
    one long word, anywhere but inside an ``&amp;`` entity)."""
    lines = []
    for line in escaped.splitlines():
        if line.startswith("#"):
            line = line.lstrip("#").strip()
            line = f"*{line}*" if len(line) + 2 <= SECTION_TEXT_MAX else line
        while len(line) > SECTION_TEXT_MAX:
            cut = line.rfind(" ", SECTION_TEXT_MAX // 2, SECTION_TEXT_MAX)
            if cut <= 0:
                cut = SECTION_TEXT_MAX
                entity = line.rfind("&", cut - 5, cut)
                if entity != -1 and ";" not in line[entity:cut]:
                    cut = entity
            lines.append(line[:cut])
            line = line[cut:].lstrip(" ")
        lines.append(line)
    return lines


# Raw text: the router escapes it when it is shown (Slack would read a bare <title> as a link).
INCIDENT_HELP = "\n".join(
    [
        "*`/incident`* — declare and run incidents",
        "`/incident create [sev1|sev2|sev3|sev4] <title>` — declare (no arguments: a form)",
        "`/incident ack [INC-ID]` — acknowledge (ID optional when one incident is open here)",
        "`/incident status <INC-ID> <investigating|mitigated|resolved> [note]`",
        "`/incident sev <INC-ID> <sev1..sev4>` — change severity",
        "`/incident note <INC-ID> <text>` — add to the timeline",
        "`/incident rootcause <INC-ID> <text>`",
        "`/incident resolve <INC-ID> <what fixed it>`",
        "`/incident close <INC-ID>` — Sev1/Sev2 need a postmortem first",
        "`/incident postmortem <INC-ID> [url]` — record it, or get a draft from the timeline",
        "`/incident list` · `/incident show <INC-ID>` · `/incident report`",
    ]
)
