"""The steps a runbook is made of, as data: checks, actions, approvals, notices, incidents.

Each check and action kind is its own model with strict keys, chosen by ``kind``;
each step type by ``type``. ``OUTPUTS`` names the run values a kind produces for the
steps after it (``{stable_checkpoint}``).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from bot.durations import format_duration, parse_duration
from bot.incidents.model import Severity
from bot.serving.models import BreakerState, Mode


def _duration(value: Any) -> timedelta:
    return value if isinstance(value, timedelta) else parse_duration(str(value))


Duration = Annotated[
    timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, return_type=str)
]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Ref = Annotated[str, StringConstraints(pattern=r"^\{[a-z][a-z0-9_]*\}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo in sre.yaml is named, never ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OnFail(StrEnum):
    """What a failed step does to its run."""

    FAIL = "fail"  # the run fails here
    STOP = "stop"  # the run ends here as succeeded: nothing (else) to do
    SKIP_NEXT = "skip_next"  # the next step is skipped, the run goes on
    CONTINUE = "continue"  # the run goes on and ends failed


class Audience(StrEnum):
    ONCALL = "oncall"  # the on-call engineer(s)
    RUN = "run"  # the run's own message/thread


# -- checks: reads that gate what follows -------------------------------------------------


class _Check(StrictModel):
    OUTPUTS: ClassVar[tuple[str, ...]] = ()


class ModelUnhealthy(_Check):
    """Passes when every one of ``probes`` health checks in a row fails."""

    kind: Literal["model_unhealthy"]
    model: str
    probes: int = Field(default=3, ge=1, le=10)
    interval: Duration = timedelta(seconds=5)
    OUTPUTS: ClassVar[tuple[str, ...]] = ("failed_probes",)


class ModelHealthy(_Check):
    kind: Literal["model_healthy"]
    model: str


class RoutingIs(_Check):
    kind: Literal["routing"]
    mode: Mode
    serve_with: Mode


class RoutedElsewhere(_Check):
    """Passes when ``mode`` is served by another mode (a downshift is in place)."""

    kind: Literal["routed_elsewhere"]
    mode: Mode


class BreakerIs(_Check):
    kind: Literal["breaker"]
    model: str
    state: BreakerState


class RewardRunaway(_Check):
    """Passes when the current checkpoint's reward mean or std is over its bound."""

    kind: Literal["reward_runaway"]
    mean_above: float = 100.0
    std_above: float = 50.0
    OUTPUTS: ClassVar[tuple[str, ...]] = ("runaway_checkpoint", "reward_mean", "reward_std")


class StableCheckpoint(_Check):
    """Finds the newest checkpoint, other than the current one, whose reward was stable."""

    kind: Literal["stable_checkpoint"]
    max_std: float = 50.0
    min_mean: float = 10.0
    max_mean: float = 100.0
    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "stable_checkpoint",
        "stable_reward_mean",
        "stable_reward_std",
    )

    @model_validator(mode="after")
    def _bounds(self) -> StableCheckpoint:
        if self.min_mean >= self.max_mean:
            raise ValueError("min_mean must be below max_mean")
        return self


class CurrentCheckpoint(_Check):
    kind: Literal["current_checkpoint"]
    checkpoint: str


class LatencyAbove(_Check):
    """Passes when latency is over the threshold: the run's input, else serving metrics.

    A run started for an SLO (an alert with an ``slo`` label) is given that SLO's mode and
    threshold as inputs (``mode_input``, ``threshold_input``): they win over ``mode`` and
    ``threshold_seconds``, so the check reads the signal the SLO measures."""

    kind: Literal["latency_above"]
    threshold_seconds: float = Field(gt=0)
    quantile: float = Field(default=0.95, gt=0, lt=1)
    mode: Mode | None = None
    input: Name = "p95_seconds"
    mode_input: Name = "mode"
    threshold_input: Name = "threshold_seconds"
    OUTPUTS: ClassVar[tuple[str, ...]] = ("latency_seconds",)


class ReplicasAre(_Check):
    kind: Literal["replicas"]
    replicas: int | Ref


Check = Annotated[
    ModelUnhealthy
    | ModelHealthy
    | RoutingIs
    | RoutedElsewhere
    | BreakerIs
    | RewardRunaway
    | StableCheckpoint
    | CurrentCheckpoint
    | LatencyAbove
    | ReplicasAre,
    Field(discriminator="kind"),
]

# -- actions: changes, sent once ------------------------------------------------------------


class _Action(StrictModel):
    OUTPUTS: ClassVar[tuple[str, ...]] = ()


class SetBreaker(_Action):
    kind: Literal["set_breaker"]
    model: str
    state: BreakerState


class SetRouting(_Action):
    kind: Literal["set_routing"]
    mode: Mode
    serve_with: Mode


class Rollback(_Action):
    kind: Literal["rollback"]
    checkpoint: str


class AddReplicas(_Action):
    """Reads the replica count, then asks for ``add`` more, never above ``max``."""

    kind: Literal["add_replicas"]
    add: int = Field(ge=1, le=100)
    max: int = Field(ge=1, le=1000)
    OUTPUTS: ClassVar[tuple[str, ...]] = ("replicas",)


class RunCommand(_Action):
    """A configured program (argv, no shell); exit status 0 is success."""

    kind: Literal["command"]
    argv: list[str] = Field(min_length=1)
    timeout: Duration = timedelta(seconds=60)


Action = Annotated[
    SetBreaker | SetRouting | Rollback | AddReplicas | RunCommand, Field(discriminator="kind")
]

# -- steps ----------------------------------------------------------------------------------


class _Step(StrictModel):
    id: Name
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CheckStep(_Step):
    type: Literal["check"]
    check: Check
    on_fail: OnFail = OnFail.FAIL


class ActionStep(_Step):
    type: Literal["action"]
    action: Action
    on_fail: OnFail = OnFail.FAIL


class ApprovalStep(_Step):
    """Waits for an approver (runbooks.approvers, never the requester) until ``ttl``."""

    type: Literal["approval"]
    prompt: str = ""
    ttl: Duration = timedelta(minutes=30)


class NotifyStep(_Step):
    type: Literal["notify"]
    to: Audience = Audience.ONCALL
    text: Text
    on_fail: OnFail = OnFail.CONTINUE


class IncidentSpec(StrictModel):
    title: Text
    severity: Severity = Severity.SEV2
    description: str = ""
    components: list[str] = Field(default_factory=list)


class OpenIncidentStep(_Step):
    """Opens an incident, or links the one the run was started from."""

    type: Literal["open_incident"]
    incident: IncidentSpec
    on_fail: OnFail = OnFail.CONTINUE


StepSpec = Annotated[
    CheckStep | ActionStep | ApprovalStep | NotifyStep | OpenIncidentStep,
    Field(discriminator="type"),
]
