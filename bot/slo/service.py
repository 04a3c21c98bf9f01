"""SLOs as the rest of the product asks for them: all at once, one by name, or the verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.clock import Clock
from bot.errors import InvalidInput
from bot.slo.definitions import SloDefinition
from bot.slo.evaluation import DeployVerdict, SloEvaluator, SloResult, deploy_verdict


@dataclass(frozen=True)
class SloSnapshot:
    """Every SLO evaluated at one instant, and the deploy verdict they give. ``asked_at``:
    the later instant asked about, when Prometheus's data ended at ``at`` (see SloService)."""

    at: datetime
    results: list[SloResult]
    verdict: DeployVerdict
    asked_at: datetime | None = None


class SloService:
    """Evaluates the configured SLOs; without Prometheus every status is ``unknown``.

    ``data_clock``: where Prometheus's samples are, when that is not the bot's clock. The
    demo's clock skips ahead of the machine's while its Prometheus records at the machine's
    time, so an instant past ``data_clock`` is read at ``data_clock``'s now (the latest data
    there is), and the result says which instant was asked (``asked_at``).
    """

    def __init__(
        self,
        *,
        slos: Sequence[SloDefinition],
        evaluator: SloEvaluator | None,
        clock: Clock,
        data_clock: Clock | None = None,
    ) -> None:
        self._slos = list(slos)
        self._evaluator = evaluator
        self._clock = clock
        self._data_clock = data_clock

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
        asked = at or self._clock.now()
        instant = self._readable(asked)
        if self._evaluator is None:
            results = [await self._evaluate(slo, instant) for slo in self._slos]
        else:
            results = await self._evaluator.evaluate_all(self._slos, at=instant)
        late = asked if instant < asked else None
        if late is not None:
            results = [replace(result, asked_at=late) for result in results]
        return SloSnapshot(
            at=instant, results=results, verdict=deploy_verdict(results), asked_at=late
        )

    async def evaluate(self, name: str, *, at: datetime | None = None) -> SloResult:
        asked = at or self._clock.now()
        instant = self._readable(asked)
        result = await self._evaluate(self.definition(name), instant)
        return replace(result, asked_at=asked) if instant < asked else result

    def _readable(self, at: datetime) -> datetime:
        """``at``, or the latest instant Prometheus can have data for if ``at`` is later."""
        if self._data_clock is None:
            return at
        return min(at, self._data_clock.now())

    async def _evaluate(self, slo: SloDefinition, at: datetime) -> SloResult:
        if self._evaluator is None:
            return SloResult.unknown(slo, reason="PROMETHEUS_URL is not set", at=at)
        return await self._evaluator.evaluate(slo, at=at)

    def close(self) -> None:
        if self._evaluator is not None:
            self._evaluator.close()
