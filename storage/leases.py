"""Named leases in the database: one holder at a time, until the lease lapses.

The scheduler leads by one (``scheduler/leader.py``). Taking is one conditional write
(insert, or update where the lease lapsed or is already ours), so two processes never both
hold it: the database's row lock decides.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from storage.types import UTCDateTime


class LeaseRow(SQLModel, table=True):
    __tablename__ = "leases"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    holder: str = Field(sa_column=Column(String(128), nullable=False))
    until: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


async def take(
    session: AsyncSession, *, name: str, holder: str, now: datetime, until: datetime
) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while another holds it."""
    taken = await session.execute(
        update(LeaseRow)
        .where(
            col(LeaseRow.name) == name,
            (col(LeaseRow.holder) == holder) | (col(LeaseRow.until) <= now),
        )
        .values(holder=holder, until=until)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return True
    try:
        async with session.begin_nested():
            session.add(LeaseRow(name=name, holder=holder, until=until))
    except IntegrityError:
        return False  # another process holds it (or took it just now)
    return True


async def give_up(session: AsyncSession, *, name: str, holder: str) -> None:
    await session.execute(
        delete(LeaseRow).where(col(LeaseRow.name) == name, col(LeaseRow.holder) == holder)
    )
