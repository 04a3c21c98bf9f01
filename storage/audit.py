"""The audit trail: one row per change, whichever area made it (incidents, runbooks,
on-call). Written in the same transaction as the change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import AuditRow


def add_audit(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(AuditRow(at=at, actor=actor, action=action, subject=subject, detail=detail or {}))
