"""The lifecycle table and input rules, without I/O."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput, TransitionForbidden
from bot.incidents.model import (
    TITLE_MAX,
    TRANSITIONS,
    IncidentEvent,
    IncidentStatus,
    Severity,
    next_status,
    validate_incident_id,
    validate_title,
)


def test_the_guide_flow_is_allowed_in_order() -> None:
    status = IncidentStatus.OPEN
    for event in (
        IncidentEvent.ACKNOWLEDGE,
        IncidentEvent.INVESTIGATE,
        IncidentEvent.MITIGATE,
        IncidentEvent.RESOLVE,
        IncidentEvent.CLOSE,
    ):
        status = next_status(status, event, incident_id="INC-20251014-103000")
    assert status is IncidentStatus.CLOSED


def test_closing_an_open_incident_is_refused_with_the_way_forward() -> None:
    with pytest.raises(TransitionForbidden, match="Resolve it first"):
        next_status(IncidentStatus.OPEN, IncidentEvent.CLOSE, incident_id="INC-20251014-103000")


def test_nothing_leaves_closed() -> None:
    assert not [key for key in TRANSITIONS if key[0] is IncidentStatus.CLOSED]
    for event in IncidentEvent:
        with pytest.raises(TransitionForbidden):
            next_status(IncidentStatus.CLOSED, event, incident_id="INC-20251014-103000")


@pytest.mark.parametrize("text", ["sev2", "SEV2", "Sev2", "2"])
def test_severity_spellings(text: str) -> None:
    assert Severity.parse(text) is Severity.SEV2


@pytest.mark.parametrize("text", ["sev5", "critical", "", "sev"])
def test_unknown_severity_names_the_choices(text: str) -> None:
    with pytest.raises(InvalidInput, match="sev1, sev2, sev3 or sev4"):
        Severity.parse(text)


@pytest.mark.parametrize("text", ["INC-1", "inc-2025-1", "INC-20251014-1030", "DROP TABLE", ""])
def test_malformed_incident_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="not an incident ID"):
        validate_incident_id(text)


def test_ids_are_accepted_in_any_case_and_with_suffix() -> None:
    assert validate_incident_id("inc-20251014-103000-2") == "INC-20251014-103000-2"


def test_title_limit() -> None:
    assert validate_title("x" * TITLE_MAX) == "x" * TITLE_MAX
    with pytest.raises(InvalidInput, match="3,001 characters"):
        validate_title("x" * (TITLE_MAX + 1))
    with pytest.raises(InvalidInput, match="needs a title"):
        validate_title("   ")
