"""On-call overrides as stored rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.tables import OverrideRow


async def overrides_ending_after(session: AsyncSession, at: datetime) -> list[OverrideRow]:
    statement = (
        select(OverrideRow).where(col(OverrideRow.ends_at) > at).order_by(col(OverrideRow.id))
    )
    return list((await session.execute(statement)).scalars().all())


def add_override(session: AsyncSession, row: OverrideRow) -> None:
    session.add(row)
