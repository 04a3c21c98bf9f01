"""The policy the tests run with: the sandbox's channels, plus whatever a test adds."""

from __future__ import annotations

from typing import Any

from bot.settings import SreConfig

CHANNELS = {"incidents": "C0INCIDENTS", "oncall": "C0ONCALL", "slo_digest": "C0SLO"}
CHANNELS_YAML = "channels:\n" + "".join(f"  {k}: {v}\n" for k, v in CHANNELS.items())


def sandbox_config(policy: dict[str, Any] | None = None) -> SreConfig:
    """``sre.yaml`` as a team with the sandbox's channels would write it."""
    return SreConfig.model_validate({"channels": CHANNELS, **(policy or {})})
