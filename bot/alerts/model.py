"""The Alertmanager webhook payload (version 4), parsed leniently: newer fields are ignored."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Alertmanager's own ceiling is ``max_alerts`` per webhook; this one bounds the work of one.
MAX_ALERTS = 1000


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _without_nul(value: object) -> object:
    """PostgreSQL text cannot hold NUL: drop it, on both databases alike."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


class Alert(_Lenient):
    status: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=64)

    @field_validator("labels", "annotations", "generatorURL", "fingerprint", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return _without_nul(value)

    @property
    def firing(self) -> bool:
        return self.status == "firing"


class AlertNotification(_Lenient):
    version: str
    status: str
    receiver: str = ""
    groupKey: str = Field(min_length=1)
    truncatedAlerts: int = Field(default=0, ge=0)
    alerts: list[Alert] = Field(min_length=1, max_length=MAX_ALERTS)

    @field_validator("groupKey", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return _without_nul(value)
