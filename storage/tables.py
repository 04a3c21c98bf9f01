"""SQLModel tables. Schema changes go through Alembic (``storage/migrations``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("request_key", name="uq_incidents_request_key"),
        Index("ix_incidents_status", "status"),
        # Finds the IDs of one second by prefix (LIKE 'INC-…-%') on any collation.
        Index("ix_incidents_id_prefix", "id", postgresql_ops={"id": "text_pattern_ops"}),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    title: str
    description: str = ""
    severity: str = Field(sa_column=Column(String(8), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    components: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    mitigated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    root_cause: str | None = None
    resolution: str | None = None
    postmortem_url: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    # Set by whoever first files the incident (a Slack trigger_id, a modal's view id, an
    # alert fingerprint): a retried request finds the row instead of making a second one.
    request_key: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    version: int = 1
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TimelineRow(SQLModel, table=True):
    __tablename__ = "timeline"
    __table_args__ = (Index("ix_timeline_incident", "incident_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incidents.id")
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor: str
    action: str
    note: str = ""


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


class PostRow(SQLModel, table=True):
    """A message the bot owes Slack: the outbox (written in the transaction that decided it).

    The key names what the post is for (``reminder:INC-…:2026-10-14T10:45:00Z``), so a
    decision taken twice (two schedulers, a retried request) owes one post. A deliverer
    leases a pending row, sends it with no transaction open, then records where it went.
    ``thread_key`` names the post this one replies under: it waits until that one is out.
    """

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_kind_subject", "kind", "subject", "claimed_at"),
        Index("ix_posts_state_due", "state", "next_attempt_at"),
    )

    key: str = Field(sa_column=Column(String(255), primary_key=True))
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    subject: str = Field(sa_column=Column(String(128), nullable=False))
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    channel: str | None = None
    ts: str | None = None
    state: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    thread_key: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    attempts: int = 0
    # Bumped each time an edit is owed again: a send begun before the bump is not the last.
    generation: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = None


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


class SeenRequestRow(SQLModel, table=True):
    """A signed Slack request already served, kept until a replay of it would be refused as
    stale anyway (``storage/replays.py``)."""

    __tablename__ = "slack_requests_seen"
    __table_args__ = (Index("ix_slack_requests_seen_forget_at", "forget_at"),)

    signature: str = Field(sa_column=Column(String(128), primary_key=True))
    forget_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


import storage.alerts  # noqa: E402  (registers the alert tables)
import storage.leases  # noqa: E402  (registers the leases table)
import storage.runbooks  # noqa: E402, F401  (registers the runbook tables)
