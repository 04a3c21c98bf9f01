"""Pure decisions behind the checks: which checkpoint is stable, whether reward ran away,
a quantile from histogram buckets, and ``{name}`` references resolved in step specs."""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.runbooks.steps import RewardRunaway, StableCheckpoint
from bot.serving.models import Checkpoint

_Spec = TypeVar("_Spec", bound=BaseModel)


class Unresolved(Exception):
    """A ``{name}`` the run does not know (yet): the step cannot be planned."""


def ran_away(checkpoint: Checkpoint, spec: RewardRunaway) -> bool:
    return checkpoint.reward_mean > spec.mean_above or checkpoint.reward_std > spec.std_above


def newest_stable(
    checkpoints: Iterable[Checkpoint], *, current: str, spec: StableCheckpoint
) -> Checkpoint | None:
    """The newest checkpoint, other than ``current``, with std and mean within bounds."""
    stable = [
        c
        for c in checkpoints
        if c.id != current
        and c.reward_std <= spec.max_std
        and spec.min_mean <= c.reward_mean <= spec.max_mean
    ]
    return max(stable, key=lambda c: (c.created_at, c.id), default=None)


def histogram_quantile(quantile: float, buckets: Mapping[float, float]) -> float | None:
    """Prometheus's ``histogram_quantile`` over cumulative ``{le: count}`` buckets.

    None when there are no observations. A quantile in the +Inf bucket is the highest
    finite bound, as Prometheus answers.
    """
    bounds = sorted(buckets)
    if not bounds or not math.isinf(bounds[-1]):
        return None
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = quantile * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower  # pragma: no cover (the +Inf bucket always reaches the rank)


def resolve(spec: _Spec, values: Mapping[str, Any]) -> _Spec:
    """``spec`` with every ``{name}`` filled from ``values``; a whole-string reference keeps
    the value's type (``"{replicas}"`` → 4). Raises Unresolved for an unknown name."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            parsed = list(string.Formatter().parse(value))
            names = [name for _, name, _, _ in parsed if name is not None]
            for name in names:
                if name not in values or values[name] is None:
                    raise Unresolved(name)
            if len(parsed) == 1 and parsed[0][0] == "" and parsed[0][1] is not None:
                return values[parsed[0][1]]
            return value.format_map(values) if names else value
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    filled = fill(spec.model_dump(mode="json"))
    try:
        return type(spec).model_validate(filled)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise Unresolved(f"{where} became invalid: {problem['msg']}") from None
