"""An incident's own words in the reader's language: its statuses and timeline actions.

What is stored and typed stays English (``status → mitigated``, ``joined``): these only say
it, the team's way (docs/glossary.md), where it is shown: the status in the shell's list
and show and on the card, the timeline's actions in the card's thread.
"""

from __future__ import annotations

from bot.i18n import ENGLISH, N_, Words
from bot.incidents.model import IncidentStatus

_STATUS_ARROW = "status → "


def status_word(status: IncidentStatus, words: Words = ENGLISH) -> str:
    """An incident's status as the reader's language says it (English: the value typed)."""
    return {
        IncidentStatus.OPEN: words.pgettext("incident status", "open"),
        IncidentStatus.ACKNOWLEDGED: words.pgettext("incident status", "acknowledged"),
        IncidentStatus.INVESTIGATING: words.pgettext("incident status", "investigating"),
        IncidentStatus.MITIGATED: words.pgettext("incident status", "mitigated"),
        IncidentStatus.RESOLVED: words.pgettext("incident status", "resolved"),
        IncidentStatus.CLOSED: words.pgettext("incident status", "closed"),
    }[status]


def status_label(status: IncidentStatus, words: Words = ENGLISH) -> str:
    """The status as a card's field shows it (English: ``Open``, capitalised)."""
    return {
        IncidentStatus.OPEN: words.pgettext("incident status", "Open"),
        IncidentStatus.ACKNOWLEDGED: words.pgettext("incident status", "Acknowledged"),
        IncidentStatus.INVESTIGATING: words.pgettext("incident status", "Investigating"),
        IncidentStatus.MITIGATED: words.pgettext("incident status", "Mitigated"),
        IncidentStatus.RESOLVED: words.pgettext("incident status", "Resolved"),
        IncidentStatus.CLOSED: words.pgettext("incident status", "Closed"),
    }[status]


# The actions the bot writes on a timeline (``bot.incidents.service``, the runbooks' and
# the probes' ``tell``), marked here for the catalogue.
_ACTIONS = (
    N_("created"),
    N_("acknowledged"),
    N_("closed"),
    N_("severity changed"),
    N_("note"),
    N_("root cause"),
    N_("resolution"),
    N_("postmortem"),
    N_("joined"),
    N_("alerts"),
    N_("recovered"),
    N_("runbook started"),
    N_("runbook succeeded"),
    N_("runbook failed"),
    N_("runbook rejected"),
    N_("runbook expired"),
    N_("runbook cancelled"),
    N_("runbook not needed"),
)


def timeline_action(action: str, words: Words = ENGLISH) -> str:
    """A timeline entry's action as the reader's language says it; one the bot does not
    know (a newer version's) is shown as stored."""
    if action.startswith(_STATUS_ARROW):
        value = action.removeprefix(_STATUS_ARROW)
        if value in set(IncidentStatus):
            return words.gettext(
                "status → {status}", status=status_word(IncidentStatus(value), words)
            )
        return action
    if action in _ACTIONS:
        return words.gettext(action)
    return action
