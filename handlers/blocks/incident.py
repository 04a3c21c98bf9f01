"""Block Kit for incidents: the card, its modals, lists, the report and the help text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from enum import StrEnum
from typing import Any

from bot.durations import format_duration, humanize
from bot.i18n import ENGLISH, N_, Words
from bot.incidents.model import ACTIVE, TITLE_MAX, AlertLine, Incident, IncidentStatus, Severity
from bot.incidents.report import DurationStats, IncidentReport
from bot.incidents.vocabulary import status_label, status_word, timeline_action
from bot.runbooks import RunState
from bot.runbooks.recovery import IncidentRecovery, RestoreStage
from handlers.blocks.alerts import firing_alerts_section
from handlers.blocks.runbook import RunbookAction
from handlers.blocks.text import (
    SECTION_TEXT_MAX,
    button,
    channel_link,
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


def incident_fallback(incident: Incident, *, words: Words = ENGLISH) -> str:
    status = status_word(incident.status, words)
    return fallback(escape(f"{STATUS_ICON[incident.status]} {_title_line(incident)} — {status}"))


def incident_card(
    incident: Incident,
    *,
    respond_within: Any = None,
    alerts: Sequence[AlertLine] = (),
    recovery: IncidentRecovery | None = None,
    zone: tzinfo = UTC,
    words: Words = ENGLISH,
) -> list[dict[str, Any]]:
    """The one message per incident, updated in place as it changes (with the alerts
    firing for it, when Alertmanager opened it, and its model's recovery and restore, when
    a downshift's recovery was told to it); its times fall back to ``zone``'s, its words
    are ``words``' (the workspace's ``locale``)."""
    _ = words.gettext
    sev = incident.severity
    blocks: list[dict[str, Any]] = [
        header(f"{STATUS_ICON[incident.status]} {incident.id} · {SEVERITY_ICON[sev]} {sev.label}"),
    ]
    summary = f"*{escape(incident.title)}*"
    if incident.description:
        summary += "\n" + escape(incident.description)
    blocks.append(section(summary))
    ack = acknowledged(incident, words=words) or _("_not yet_")
    severity_text = f"{SEVERITY_ICON[sev]} {sev.label}"
    if respond_within is not None:
        severity_text = _(
            "{severity} (respond within {duration})",
            severity=severity_text,
            duration=format_duration(respond_within, words=words),
        )
    opened = _(
        "{when} by {name}", when=when(incident.created_at, zone), name=mention(incident.created_by)
    )
    status = f"{STATUS_ICON[incident.status]} {status_label(incident.status, words)}"
    fields = [
        _field(_("Status"), status),
        _field(_("Severity"), severity_text),
        _field(_("Acknowledged"), ack),
        _field(_("Opened"), opened),
    ]
    if incident.components:
        fields.append(_field(_("Components"), escape(", ".join(incident.components))))
    blocks.append({"type": "section", "fields": [mrkdwn(f, 2000) for f in fields]})
    details = []
    if incident.root_cause:
        details.append(_field(_("Root cause"), escape(incident.root_cause)))
    if incident.resolution:
        details.append(_field(_("Resolution"), escape(incident.resolution)))
    if incident.postmortem_url:
        details.append(_field(_("Postmortem"), escape(incident.postmortem_url)))
    elif incident.postmortem_pending:
        details.append(_field(_("Postmortem"), _("_required before closing_")))
    for text in details:
        blocks.append(section(text))
    if alerts:
        blocks.append(firing_alerts_section(alerts, words=words))
    if recovery is not None:
        blocks.append(_recovery_section(incident, recovery, words))
    latest = _latest_line(incident, zone, words)
    if latest:
        blocks.append(context(latest))
    buttons = _card_buttons(incident, words)
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"incident_actions:{incident.id}", "elements": buttons}
        )
    elif incident.status is IncidentStatus.RESOLVED:
        blocks.append(
            context(
                _(
                    "`/incident close {id}` closes it · "
                    "`/incident status {id} investigating` reopens it",
                    id=incident.id,
                )
            )
        )
    blocks.append(context(_("`/incident show {id}` · timeline, notes and history", id=incident.id)))
    return blocks


def _field(title: str, value: str) -> str:
    """A card field: its title in bold over its value."""
    return f"*{title}*\n{value}"


def acknowledged(incident: Incident, *, words: Words = ENGLISH) -> str | None:
    """Who acknowledged ``incident`` and how long after it was opened, once someone did."""
    if not (incident.acknowledged_by and incident.acknowledged_at):
        return None
    delay = humanize(incident.acknowledged_at - incident.created_at, words=words)
    return words.gettext(
        "{name} after {delay}", name=mention(incident.acknowledged_by), delay=delay
    )


def acknowledge_button(incident: Incident, *, words: Words = ENGLISH) -> dict[str, Any]:
    """The button that acknowledges ``incident``: on its card, its reminders and escalations."""
    return button(
        words.gettext("Acknowledge"),
        action_id=IncidentAction.ACKNOWLEDGE,
        value=incident.id,
        style="danger",
    )


def _card_buttons(incident: Incident, words: Words) -> list[dict[str, Any]]:
    """What the card still offers: Acknowledge while open, status and Resolve while
    active; a resolved or closed incident's card has no buttons left to press."""
    if incident.status not in ACTIVE:
        return []
    buttons = []
    if incident.status is IncidentStatus.OPEN:
        buttons.append(acknowledge_button(incident, words=words))
    buttons.append(
        button(
            words.gettext("Update status"),
            action_id=IncidentAction.UPDATE_STATUS,
            value=incident.id,
        )
    )
    buttons.append(
        button(
            words.gettext("Resolve"),
            action_id=IncidentAction.RESOLVE,
            value=incident.id,
            style="primary",
        )
    )
    return buttons


def _run_ended(state: RunState | None, words: Words) -> str:
    """How a restore run ended, as the card says it."""
    if state is None:
        return words.pgettext("runbook run state", "unfinished")
    return {
        RunState.REQUESTED: words.pgettext("runbook run state", "requested"),
        RunState.RUNNING: words.pgettext("runbook run state", "running"),
        RunState.WAITING_APPROVAL: words.pgettext("runbook run state", "waiting approval"),
        RunState.NEEDS_ATTENTION: words.pgettext("runbook run state", "needs attention"),
        RunState.SUCCEEDED: words.pgettext("runbook run state", "succeeded"),
        RunState.FAILED: words.pgettext("runbook run state", "failed"),
        RunState.REJECTED: words.pgettext("runbook run state", "rejected"),
        RunState.EXPIRED: words.pgettext("runbook run state", "expired"),
        RunState.CANCELLED: words.pgettext("runbook run state", "cancelled"),
        RunState.NOT_NEEDED: words.pgettext("runbook run state", "not needed"),
    }[state]


def _recovery_section(
    incident: Incident, recovery: IncidentRecovery, words: Words
) -> dict[str, Any]:
    """Where creative stands since the incident's model recovered: while no restore has
    started and the incident is active, the recovery notice's own restore button (its
    key), so a press here or there starts one run; after a restore, what came of it."""
    _ = words.gettext
    model = f"*{escape(recovery.model.capitalize())}*"
    fallback = f"*{escape(recovery.fallback)}*" if recovery.fallback else _("its fallback")
    run = f"*{escape(recovery.run_id or '')}*"
    match recovery.stage:
        case RestoreStage.OFFERED:
            if not incident.is_active:
                return section(
                    _(
                        "✅ {model} recovered; creative still served by {fallback}.",
                        model=model,
                        fallback=fallback,
                    )
                )
            block = section(
                _(
                    "✅ {model} recovered; creative still served by {fallback}: restore?",
                    model=model,
                    fallback=fallback,
                )
            )
            block["accessory"] = button(
                _("Restore creative mode"),
                action_id=RunbookAction.RESTORE,
                value=recovery.notice_key,
                style="primary",
            )
            return block
        case RestoreStage.UNDER_WAY:
            someone = _("someone")
            return section(
                _(
                    "♻️ {model} recovered; {name} started the restore as {run}: creative is "
                    "still served by {fallback} until it succeeds (its message is in this "
                    "thread).",
                    model=model,
                    name=mention(recovery.started_by or someone),
                    run=run,
                    fallback=fallback,
                )
            )
        case RestoreStage.RESTORED:
            if incident.is_active:
                text = _(
                    "✅ {model} recovered and creative is back on its own model ({run} "
                    "restored it): resolve when you are ready.",
                    model=model,
                    run=run,
                )
            else:
                text = _(
                    "✅ {model} recovered and creative is back on its own model ({run} "
                    "restored it).",
                    model=model,
                    run=run,
                )
            return section(text)
        case RestoreStage.NOT_RESTORED:
            command = f"`/runbook run {escape(recovery.runbook)} --incident {incident.id}`"
            return section(
                _(
                    "⚠️ {model} recovered, but the restore {run} ended {outcome}: creative may "
                    "still be served by {fallback}. {command} tries again.",
                    model=model,
                    run=run,
                    outcome=escape(_run_ended(recovery.run_state, words)),
                    fallback=fallback,
                    command=command,
                )
            )


def _latest_line(incident: Incident, zone: tzinfo, words: Words) -> str:
    """The newest timeline entry (a note, a status change, a run), when there is one besides
    the declaration: what a reader of the card wants to know first."""
    if not incident.timeline or incident.timeline[-1].action == "created":
        return ""
    entry = incident.timeline[-1]
    note = f" — {escape(clip(entry.note, 500))}" if entry.note else ""
    action = escape(timeline_action(entry.action, words))
    latest = words.gettext("*Latest:*")
    return f"{latest} {action}{note} · {mention(entry.actor)}, {when(entry.at, zone)}"


def incident_news_reply(
    *, action: str, note: str, actor: str, words: Words = ENGLISH
) -> dict[str, Any]:
    """A thread reply telling what the incident's timeline just gained."""
    said = timeline_action(action, words)
    text = f"🧾 *{escape(said)}*" + (f" — {mention_users(clip(note, 2000))}" if note else "")
    if is_user_id(actor):
        text += f" ({mention(actor)})"
    summary = f"{said}: {note}" if note else said
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
    "not_in_channel": N_("the bot is not in that channel"),
    "is_archived": N_("that channel is archived"),
    "channel_not_found": N_("the bot cannot see that channel (deleted, or private without it)"),
}
REFUSAL_FIX = {
    "not_in_channel": N_("invite the bot there (`/invite @Artisan SRE`)"),
    "is_archived": N_("unarchive it"),
    "channel_not_found": N_("invite the bot there, or fix `channels.incidents` in sre.yaml"),
}
FIX_ANYWAY = N_("invite the bot there")


def _where(channel: str, words: Words) -> str:
    """A channel by its link; a direct message (``D…``, or a user ID) as such."""
    if channel.startswith(("D", "U", "W")):
        return words.gettext("in a direct message to whoever is paged")
    return words.gettext("in {channel}", channel=channel_link(channel))


def incident_created_reply(
    incident: Incident,
    *,
    refused_in: str | None = None,
    reason: str | None = None,
    words: Words = ENGLISH,
) -> dict[str, Any]:
    """The reporter's answer: where the card is (``incident.channel_id``), and when its own
    channel (``refused_in``) refused it, why, where it went instead and what to do."""
    _ = words.gettext
    declared = f"*{incident.id}* [{incident.severity.label}] {escape(incident.title)}"
    if refused_in is None:
        if incident.channel_id:
            text = _(
                "🚨 Declared {incident} in {channel}.",
                incident=declared,
                channel=channel_link(incident.channel_id),
            )
        else:
            text = _("🚨 Declared {incident}.", incident=declared)
        return {"text": fallback(text), "blocks": [section(text)]}
    why = ": " + _(REFUSAL_WHY[reason]) if reason in REFUSAL_WHY else ""
    fix = _(REFUSAL_FIX.get(reason or "", FIX_ANYWAY))
    if incident.channel_id:
        went = _("it was posted {where} instead", where=_where(incident.channel_id, words))
    else:
        went = _(
            "it could not be posted anywhere, but the incident is recorded as *{id}* "
            "(`/incident show` has it)",
            id=incident.id,
        )
    text = _(
        "⚠️ Declared {incident}, but Slack refused the card in {channel}{why}; {went}. "
        "To have it there, {fix}: the bot tries again every few minutes.",
        incident=declared,
        channel=channel_link(refused_in),
        why=why,
        went=went,
        fix=fix,
    )
    return {"text": fallback(text), "blocks": [section(text)]}


def incident_card_late(
    incident: Incident, *, reason: str, moved_to: str, words: Words = ENGLISH
) -> dict[str, Any]:
    """What lands in the channel that refused a card, once it takes posts again."""
    why = words.gettext(REFUSAL_WHY[reason]) if reason in REFUSAL_WHY else reason
    declared = f"*{incident.id}* [{incident.severity.label}] {escape(incident.title)}"
    text = words.gettext(
        "🚨 {incident} was declared while Slack refused the bot here ({why}): its card is {where}.",
        incident=declared,
        why=why,
        where=_where(moved_to, words),
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
