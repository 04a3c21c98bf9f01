"""SLOs as the rest of the product asks for them: all at once, one by name, or the verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.errors import InvalidInput
from bot.slo.definitions import SloDefinition
from bot.slo.evaluation import DeployVerdict, SloEvaluator, SloResult, deploy_verdict


@dataclass(frozen=True)
class SloSnapshot:
    """Every SLO evaluated at one instant, and the deploy verdict they give."""

    at: datetime
    results: list[SloResult]
    verdict: DeployVerdict


class SloService:
    """Evaluates the configured SLOs; without Prometheus every status is ``unknown``."""

    def __init__(
        self, *, slos: Sequence[SloDefinition], evaluator: SloEvaluator | None, clock: Clock
    ) -> None:
        self._slos = list(slos)
        self._evaluator = evaluator
        self._clock = clock

    @property
    def definitions(self) -> list[SloDefinition]:
        return list(self._slos)

    def definition(self, name: str) -> SloDefinition:
        for slo in self._slos:
            if slo.name == name:
                return slo
        known = ", ".join(slo.name for slo in self._slos) or "none configured"
        raise InvalidInput(f"No SLO named {name[:60]!r}. Known SLOs: {known}.")

    async def snapshot(self, *, at: datetime | None = None) -> SloSnapshot:
        instant = at or self._clock.now()
        if self._evaluator is None:
            results = [await self._evaluate(slo, instant) for slo in self._slos]
        else:
            results = await self._evaluator.evaluate_all(self._slos, at=instant)
        return SloSnapshot(at=instant, results=results, verdict=deploy_verdict(results))

    async def evaluate(self, name: str, *, at: datetime | None = None) -> SloResult:
        return await self._evaluate(self.definition(name), at or self._clock.now())

    async def _evaluate(self, slo: SloDefinition, at: datetime) -> SloResult:
        if self._evaluator is None:
            return SloResult.unknown(slo, reason="PROMETHEUS_URL is not set", at=at)
        return await self._evaluator.evaluate(slo, at=at)

    def close(self) -> None:
        if self._evaluator is not None:
            self._evaluator.close()
