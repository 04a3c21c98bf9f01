"""SLO definitions as the operator writes them under ``slos:`` in ``sre.yaml`` (docs/guide.md#slos).

Three kinds, told apart by ``kind``:

- ``events``: good and total are counter selectors; each is counted with ``increase()`` over
  the window, so a busy hour weighs more than a quiet night (API availability).
- ``latency``: a histogram; good is the ``le="<threshold>"`` bucket, total its ``_count``
  ("p95 < X" read as "at least 95% of requests at or under X").
- ``threshold``: a gauge; good is the fraction of samples on the right side of a bound (RL
  reward). A "sample" is one step of a subquery at ``resolution``, which takes the latest raw
  sample at that instant: the fraction of time at that resolution (see ``bot.slo.queries``).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.durations import parse_duration

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# A vector selector: a metric name, a {matchers} block, or both. PromQL itself checks the rest.
_SELECTOR = re.compile(r"^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?(?:\{[^{}]*\})?$")


def compact_duration(value: timedelta) -> str:
    """The PromQL spelling of a whole-second duration in its largest exact unit: 30d, 90m."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _duration(value: object) -> str:
    try:
        parsed = parse_duration(str(value))
    except ValueError as exc:
        raise PydanticCustomError("duration", "{problem}", {"problem": str(exc)}) from None
    return compact_duration(parsed)


class _SloBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="slug used in commands, labels and alerts: api_availability")
    title: str = Field(default="", description="shown in reports: 'API Availability'")
    objective: float = Field(description="percent of good events or samples, e.g. 99.9")
    window: str = Field(description="rolling window, e.g. 30d or 7d")
    runbook: str | None = Field(default=None, description="runbook name or URL for alerts")
    components: tuple[str, ...] = Field(
        default=(),
        description="what an incident its alerts open is about: [LLM, fast mode]; "
        "its title when none are given",
    )
    min_events: int = Field(
        default=100,
        ge=1,
        description="fewer events (samples for kind threshold) in the window: status unknown",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_title(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("title") and isinstance(data.get("name"), str):
            return {**data, "title": data["name"].replace("_", " ").title()}
        return data

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise PydanticCustomError(
                "slug",
                "name must be a slug (lowercase letters, digits and underscores, starting with "
                "a letter, e.g. api_availability), got {value}",
                {"value": repr(value)},
            )
        return value

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: float) -> float:
        if not (math.isfinite(value) and 0.0 < value < 100.0):
            raise PydanticCustomError(
                "objective",
                "objective must be a percentage strictly between 0 and 100 (e.g. 99.9), "
                "got {value}",
                {"value": value},
            )
        return value

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: object) -> str:
        return _duration(value)

    @property
    def window_length(self) -> timedelta:
        return parse_duration(self.window)


def _check_metric(value: str) -> str:
    if not _METRIC.match(value):
        raise PydanticCustomError(
            "metric", "metric must be a metric name, got {value}", {"value": repr(value)}
        )
    return value


def _check_labels(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        if not _LABEL.match(key) or key in {"le", "__name__"}:
            raise PydanticCustomError(
                "labels", "labels: {key} is not a usable label name", {"key": repr(key)}
            )
    return value


class EventsSlo(_SloBase):
    """Good and total counters, each counted with increase() over the window."""

    kind: Literal["events"]
    good: str = Field(
        description='counter selector of good events: api_requests_total{status=~"2.."}'
    )
    total: str = Field(description="counter selector of all events: api_requests_total")

    @field_validator("good", "total")
    @classmethod
    def _selector(cls, value: str) -> str:
        value = value.strip()
        if not value or not _SELECTOR.match(value):
            raise PydanticCustomError(
                "selector",
                'must be a counter selector such as api_requests_total{status=~"2.."} '
                "(no functions, no range), got {value}",
                {"value": repr(value)},
            )
        return value


class LatencySlo(_SloBase):
    """Fraction of requests at or under ``threshold_seconds`` from a histogram's buckets."""

    kind: Literal["latency"]
    metric: str = Field(
        description="histogram base name, without _bucket: llm_brief_latency_seconds"
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="equality matchers: {mode: fast}"
    )
    threshold_seconds: float = Field(description="must be a bucket boundary (le) of the histogram")

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_labels(value)

    @field_validator("metric")
    @classmethod
    def _base_name(cls, value: str) -> str:
        _check_metric(value)
        for suffix in ("_bucket", "_count", "_sum"):
            if value.endswith(suffix):
                raise PydanticCustomError(
                    "metric",
                    "metric is the histogram's base name; drop the {suffix} suffix",
                    {"suffix": suffix},
                )
        return value

    @field_validator("threshold_seconds")
    @classmethod
    def _threshold(cls, value: float) -> float:
        if not (math.isfinite(value) and value > 0):
            raise PydanticCustomError(
                "threshold",
                "threshold_seconds must be a positive number, got {value}",
                {"value": value},
            )
        return value


class ThresholdSlo(_SloBase):
    """Fraction of gauge samples on the good side of ``bound`` (e.g. reward > 10)."""

    kind: Literal["threshold"]
    metric: str = Field(description="gauge name: rl_reward")
    labels: dict[str, str] = Field(default_factory=dict, description="equality matchers")
    comparison: Literal[">", ">=", "<", "<="] = Field(
        default=">", description="good when <op> bound"
    )
    bound: float
    resolution: str = Field(default="1m", description="one sample per this step of the window")
    # A sample is a step of time, there whatever the traffic: one is enough by default.
    min_events: int = Field(default=1, ge=1, description="fewer samples in the window: unknown")

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _check_metric(value)

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_labels(value)

    @field_validator("bound")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise PydanticCustomError(
                "bound", "bound must be a finite number, got {value}", {"value": value}
            )
        return value

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution(cls, value: object) -> str:
        return _duration(value)


SloDefinition = Annotated[EventsSlo | LatencySlo | ThresholdSlo, Field(discriminator="kind")]
"""One entry of ``slos:``; use it as a field type (``slos: list[SloDefinition]``)."""

KINDS = ("events", "latency", "threshold")


def runbook_inputs(slo: SloDefinition) -> dict[str, str | float]:
    """What a runbook started by ``slo``'s alert is given, so its checks read the signal the
    SLO measures: a latency SLO's mode and threshold (``api_high_latency_scaleup``)."""
    if not isinstance(slo, LatencySlo):
        return {}
    inputs: dict[str, str | float] = {"threshold_seconds": slo.threshold_seconds}
    if "mode" in slo.labels:
        inputs["mode"] = slo.labels["mode"]
    return inputs


_SLO_LIST: TypeAdapter[list[SloDefinition]] = TypeAdapter(list[SloDefinition])


class SloConfigError(ValueError):
    """Bad ``slos:`` configuration; the message names each key and its problem."""


def describe_errors(error: ValidationError, *, prefix: str = "slos") -> list[str]:
    """One ``slos[0].objective: problem`` line per pydantic error, without the kind tag."""
    expected = ", ".join(KINDS)
    lines = []
    for item in error.errors():
        loc = list(item["loc"])
        path = prefix
        for index, part in enumerate(loc):
            if isinstance(part, int):
                path += f"[{part}]"
            elif part in KINDS and index > 0 and isinstance(loc[index - 1], int):
                continue  # pydantic puts the discriminator tag in the path
            else:
                path += f".{part}"
        message = item["msg"]
        if item["type"] == "union_tag_invalid":
            tag = item.get("ctx", {}).get("tag")
            path, message = f"{path}.kind", f"unknown kind {tag!r}; expected one of {expected}"
        elif item["type"] == "union_tag_not_found":
            path, message = f"{path}.kind", f"missing; set it to one of {expected}"
        lines.append(f"{path}: {message}")
    return lines


def parse_slo_definitions(raw: object) -> list[SloDefinition]:
    """Validate the ``slos:`` list; raise SloConfigError naming the key and the problem."""
    try:
        slos = _SLO_LIST.validate_python(raw)
    except ValidationError as exc:
        raise SloConfigError("\n".join(describe_errors(exc))) from None
    seen: set[str] = set()
    for index, slo in enumerate(slos):
        if slo.name in seen:
            raise SloConfigError(f"slos[{index}].name: duplicate SLO name {slo.name!r}")
        seen.add(slo.name)
    return slos


EXAMPLE_YAML = """\
slos:                              # docs/guide.md#slos; kinds: events | latency | threshold
  - name: api_availability
    title: API Availability
    components: [API]
    kind: events                   # good/total counters, increase() over the window
    objective: 99.9                # percent
    window: 30d
    good: 'api_requests_total{status=~"2.."}'
    total: api_requests_total
  - name: llm_fast_latency
    title: LLM Fast Mode Latency (p95)
    components: [LLM, fast mode]
    kind: latency                  # share of requests at or under the threshold
    objective: 95
    window: 7d
    metric: llm_brief_latency_seconds   # histogram; threshold must be one of its buckets
    labels: {mode: fast}
    threshold_seconds: 2.5
    runbook: api_high_latency_scaleup
  - name: llm_balanced_latency
    title: LLM Balanced Mode Latency (p95)
    components: [LLM, balanced mode]
    kind: latency
    objective: 95
    window: 7d
    metric: llm_brief_latency_seconds
    labels: {mode: balanced}
    threshold_seconds: 3.2
    runbook: api_high_latency_scaleup
  - name: llm_creative_latency
    title: LLM Creative Mode Latency (p95)
    components: [LLM, creative mode]
    kind: latency
    objective: 95
    window: 7d
    metric: llm_brief_latency_seconds
    labels: {mode: creative}
    threshold_seconds: 4.5
    runbook: qwen_failure_downshift
  - name: rl_reward_stability
    title: RL Reward Stability
    components: [RL]
    kind: threshold                # share of 1-minute samples with reward > 10.0
    objective: 99
    window: 7d
    metric: rl_reward
    comparison: ">"
    bound: 10.0
    resolution: 1m
    runbook: rl_reward_runaway_rollback
"""


def default_slos() -> list[SloDefinition]:
    """The guide's five SLOs, exactly as EXAMPLE_YAML writes them."""
    return parse_slo_definitions(yaml.safe_load(EXAMPLE_YAML)["slos"])
