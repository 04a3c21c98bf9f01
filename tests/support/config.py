"""The policy the tests run with: the sandbox's channels and a quiet schedule, plus whatever
a test adds.

Quiet: every duty the calendar or a timer would start by itself (digest, drill, handoff
message, health probes, SLO status checks) is off, so a test run on any day, at any hour,
sees only what it asked for. A test about one of them turns it on with the times it chose.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.settings import SreConfig

CHANNELS = {"incidents": "C0INCIDENTS", "oncall": "C0ONCALL", "slo_digest": "C0SLO"}
QUIET_SCHEDULE = {
    "slo_digest": "off",
    "runbook_drill": "off",
    "handoff_message": "off",
    "health_probe_every": "off",
    "slo_status_every": "off",
}


def policy(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """``sre.yaml`` as a dict: the channels, the quiet schedule under ``extra``'s own
    ``schedule`` keys, and the rest of ``extra``."""
    rest = dict(extra or {})
    schedule = {**QUIET_SCHEDULE, **rest.pop("schedule", {})}
    return {"channels": CHANNELS, "schedule": schedule, **rest}


def sre_yaml(extra: dict[str, Any] | None = None) -> str:
    """``policy(extra)`` as the text of an sre.yaml file."""
    return yaml.safe_dump(policy(extra), sort_keys=False)


# The sandbox's channels and the quiet schedule as a file; a test may append top-level keys
# other than those two (the bot refuses a key written twice).
CHANNELS_YAML = sre_yaml()


def sandbox_config(extra: dict[str, Any] | None = None) -> SreConfig:
    """``sre.yaml`` as a team with the sandbox's channels would write it, schedule quiet."""
    return SreConfig.model_validate(policy(extra))
