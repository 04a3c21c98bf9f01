"""The Alertmanager webhook payload (version 4), parsed leniently: newer fields are ignored."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Alert(_Lenient):
    status: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=64)

    @property
    def firing(self) -> bool:
        return self.status == "firing"

    @property
    def key(self) -> str:
        """One incident per alert occurrence: the same alert firing again later is new."""
        return f"alert:{self.fingerprint}:{self.startsAt.isoformat()}"


class AlertNotification(_Lenient):
    version: str
    status: str
    receiver: str = ""
    groupKey: str = ""
    alerts: list[Alert] = Field(min_length=1, max_length=1000)
