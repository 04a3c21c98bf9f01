"""The audit trail: one row per change, whichever area made it (incidents, runbooks,
on-call). Written in the same transaction as the change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Table, insert
from sqlmodel import Field, SQLModel

from storage.db import Executor, run
from storage.types import UTCDateTime


class AuditRow(SQLModel, table=True):
    """Who did what, to what, when: every action that changes state."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_subject", "subject", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]
_ADD = insert(AUDIT)


async def add_audit(
    on: Executor,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> None:
    values = {"at": at, "actor": actor, "action": action, "subject": subject}
    await run(on, _ADD, values | {"detail": detail or {}})
