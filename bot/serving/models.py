"""Wire shapes of the model-serving API (docs/operations.md#the-serving-process).

Answers from the server are parsed leniently (``extra="ignore"``: the real
Artisan server may add fields); request bodies the bot sends are strict.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictInt

MODELS: tuple[str, ...] = ("qwen", "mistral", "llama")
"""The models the serving process runs (docs/guide.md#model-health-json), in that order."""


class Mode(StrEnum):
    """A brief-generation mode; routing may serve one mode with another."""

    FAST = "fast"
    BALANCED = "balanced"
    CREATIVE = "creative"


class ModelStatus(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


class BreakerState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class _Answer(BaseModel):
    """Base of everything the server answers: unknown fields are dropped, not fatal."""

    model_config = ConfigDict(extra="ignore")


class ProcessHealth(BaseModel):
    """``/health/live`` or ``/health/ready``; ``ok`` comes from the HTTP status (200 vs 503)."""

    model_config = ConfigDict(extra="allow")

    ok: bool
    status: str = "unknown"
    detail: str | None = None


class ModelHealth(_Answer):
    """``GET /health/llm?model=NAME``: an unhealthy model is data (HTTP 200), not an error."""

    model_name: str
    status: ModelStatus
    loaded: bool
    inference_ready: bool
    last_inference_ms: float | None = None
    memory_mb: float | None = None
    gpu_memory_mb: float | None = None
    error_message: str | None = None
    checked_at: datetime
    uptime_seconds: float | None = None


class AllModelsHealth(_Answer):
    """``GET /health/llm/all``: counts per status and each model's status by name."""

    status: ModelStatus
    healthy_count: int
    degraded_count: int
    unhealthy_count: int
    total_models: int
    models: dict[str, str]
    memory_mb: float | None = None
    gpu_available: bool


class Routing(_Answer):
    """Which mode serves which: ``{"creative": "balanced"}`` is a downshift."""

    routing: dict[str, str]

    def serving(self, mode: Mode) -> str:
        """The mode that actually serves requests for ``mode`` (itself when not routed)."""
        return self.routing.get(mode, mode)

    def downshifted(self) -> dict[str, str]:
        """Only the modes currently served by another mode."""
        return {mode: target for mode, target in self.routing.items() if mode != target}


class Breakers(_Answer):
    """Circuit-breaker state per model; values are kept as sent (a server may add half_open)."""

    breakers: dict[str, str]

    def is_open(self, model: str) -> bool:
        return self.breakers.get(model) == BreakerState.OPEN


class Checkpoint(BaseModel):
    """A PPO checkpoint with its reward statistics; other fields the server sends are kept."""

    model_config = ConfigDict(extra="allow")

    id: str
    created_at: datetime
    reward_mean: float
    reward_std: float


class Checkpoints(_Answer):
    """``GET /admin/rl/checkpoints``: all checkpoints, the current one included."""

    current: str
    checkpoints: list[Checkpoint]

    def get(self, checkpoint_id: str) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.id == checkpoint_id), None)

    @property
    def current_checkpoint(self) -> Checkpoint | None:
        return self.get(self.current)


class Replicas(_Answer):
    replicas: int


class _Request(BaseModel):
    """Base of the bodies the bot sends: a typo is refused, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class RoutingChange(_Request):
    """``POST /admin/routing``: ``serve_with`` equal to ``mode`` restores the mode."""

    mode: Mode
    serve_with: Mode


class BreakerChange(_Request):
    model: str = Field(min_length=1)
    state: BreakerState


class RollbackRequest(_Request):
    checkpoint: str = Field(min_length=1)


class ReplicasChange(_Request):
    replicas: StrictInt
