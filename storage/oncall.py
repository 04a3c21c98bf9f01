"""On-call overrides as stored rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from storage.types import UTCDateTime


class OverrideRow(SQLModel, table=True):
    """Someone covering a pool's on-call until a given time (``/oncall override``)."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_overrides_pool_end", "pool", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    pool: str = Field(sa_column=Column(String(16), nullable=False))
    user_id: str
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reason: str = ""


async def overrides_ending_after(session: AsyncSession, at: datetime) -> list[OverrideRow]:
    statement = (
        select(OverrideRow).where(col(OverrideRow.ends_at) > at).order_by(col(OverrideRow.id))
    )
    return list((await session.execute(statement)).scalars().all())


def add_override(session: AsyncSession, row: OverrideRow) -> None:
    session.add(row)
