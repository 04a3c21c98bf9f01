"""The page's fault buttons, as the stand-in's own fault injection (``/_standin/faults``).

Each fault is something the bot must notice and act on by itself or through a person:
Qwen failing its health checks (probes → ``qwen_failure_downshift``), the PPO reward
running away (``/runbook run rl_reward_runaway_rollback`` and its approval), creative
briefs getting slow (the creative latency SLO burning, given Prometheus).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Fault:
    key: str
    label: str
    change: dict[str, Any]
    what_happens: str


FAULTS: tuple[Fault, ...] = (
    Fault(
        "qwen_down",
        "Break Qwen",
        {"model_down": "qwen"},
        "Qwen fails its health checks. After three failed probes (the scheduler probes every "
        "10 s) qwen_failure_downshift opens its breaker, serves creative with balanced, pages "
        "on-call in #oncall and opens a Sev2 incident.",
    ),
    Fault(
        "reward_runaway",
        "Make the RL reward run away",
        {"reward_runaway": True},
        "A runaway PPO checkpoint goes live. Run `/runbook run rl_reward_runaway_rollback`: "
        "the rollback waits for an approver who is not you.",
    ),
    Fault(
        "slow_creative",
        "Slow creative mode (+3 s)",
        {"added_latency_seconds": 3, "mode": "creative"},
        "Creative briefs take 3 s longer, past the 4.5 s threshold: with Prometheus, "
        "`/slo llm_creative_latency` shows the budget burning.",
    ),
)


class FaultSwitch:
    """Turns the stand-in's faults on and off over its HTTP control routes."""

    def __init__(self, *, standin_url: str, session: aiohttp.ClientSession) -> None:
        self._url = standin_url.rstrip("/") + "/_standin/faults"
        self._session = session

    async def current(self) -> dict[str, Any]:
        async with self._session.get(self._url) as answer:
            answer.raise_for_status()
            found: dict[str, Any] = await answer.json()
            return found

    async def inject(self, key: str) -> dict[str, Any]:
        fault = next((f for f in FAULTS if f.key == key), None)
        if fault is None:
            raise KeyError(key)
        async with self._session.post(self._url, json=fault.change) as answer:
            answer.raise_for_status()
            found: dict[str, Any] = await answer.json()
            return found

    async def clear(self) -> dict[str, Any]:
        async with self._session.delete(self._url) as answer:
            answer.raise_for_status()
            found: dict[str, Any] = await answer.json()
            return found
