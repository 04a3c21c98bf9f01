"""What started a run, in the words its texts use ({started_by})."""

from __future__ import annotations

from bot.alerts.intake import ACTOR
from bot.runbooks.probes import PROBE_ACTOR
from bot.runbooks.starters import ALERTMANAGER, HEALTH_PROBE, StartedBy, Starter


def test_the_requesters_of_the_probes_and_the_alerts_are_the_ones_they_use() -> None:
    assert (HEALTH_PROBE, ALERTMANAGER) == (PROBE_ACTOR, ACTOR)


def test_each_starter_is_named_in_a_persons_words() -> None:
    assert StartedBy.of("health-probe").words == "the bot's health probes"
    assert StartedBy.of("alertmanager", alerts=["QwenModelUnhealthy"]).words == (
        "the alert QwenModelUnhealthy"
    )
    assert StartedBy.of("alertmanager", alerts=["A", "B"]).words == "the alerts A, B"
    assert StartedBy.of("alertmanager").words == "an Alertmanager alert"
    assert StartedBy.of("U0AAA") == StartedBy(Starter.PERSON, "U0AAA")
    assert StartedBy.of("U0AAA").words == "U0AAA"  # Slack mentions them, the shell names them
    assert StartedBy.drill().words == "the monthly runbook drill"
