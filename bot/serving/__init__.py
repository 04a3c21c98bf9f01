"""The model-serving process as the domain sees it: a typed async client of its API.

The stand-in of the process (``python -m sandbox.serving``) lives in
``sandbox.serving.standin`` and is not imported here.
"""

from bot.serving.client import (
    ModelHealthCheck,
    PlannedCall,
    ServingClient,
    ServingError,
    ServingRejected,
    ServingUnavailable,
)
from bot.serving.models import (
    AllModelsHealth,
    Breakers,
    BreakerState,
    Checkpoint,
    Checkpoints,
    Mode,
    ModelHealth,
    ModelStatus,
    ProcessHealth,
    Replicas,
    Routing,
)

__all__ = [
    "AllModelsHealth",
    "BreakerState",
    "Breakers",
    "Checkpoint",
    "Checkpoints",
    "Mode",
    "ModelHealth",
    "ModelHealthCheck",
    "ModelStatus",
    "PlannedCall",
    "ProcessHealth",
    "Replicas",
    "Routing",
    "ServingClient",
    "ServingError",
    "ServingRejected",
    "ServingUnavailable",
]
