"""Typed posts: every kind named ``area.thing``, decisions kept as such, facts reshaped.

Posts are now stored as a kind and the facts of its dataclass (``bot/posts.py``). This
renames the kinds written in three styles, marks the rows that never posted anything
(a first SLO status, a silent handoff, a confirmation, alert news the card showed) as
``decided``, and reshapes the facts that are read back: every SLO status (the next
notice compares with it) and the incident posts still pending, which now carry the
incident they show.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

RENAMED = {
    "reminder": "incident.reminder",
    "escalation": "incident.escalation",
    "postmortem": "incident.postmortem-nudge",
    "handoff": "oncall.handoff",
    "handoff-update": "oncall.handoff-update",
    "handoff-reminder": "oncall.handoff-reminder",
    "handoff-confirmed": "oncall.handoff-confirmed",
    "oncall-problem": "oncall.problem",
    "slo-digest": "slo.digest",
    "slo-status": "slo.status",
    "recovery": "runbook.recovery",
    "drill": "runbook.drill",
}
DECISIONS = (
    "oncall.handoff",
    "oncall.handoff-confirmed",
    "slo.status",
    "incident.alerts-reply",
)
NEEDS_INCIDENT = (
    "incident.card",
    "incident.card-update",
    "incident.created-reply",
    "incident.postmortem-draft",
    "incident.reminder",
    "incident.escalation",
    "incident.postmortem-nudge",
)

posts = sa.table(
    "posts",
    sa.column("key", sa.String),
    sa.column("kind", sa.String),
    sa.column("subject", sa.String),
    sa.column("claimed_at", sa.String),
    sa.column("detail", sa.JSON),
    sa.column("state", sa.String),
    sa.column("ts", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    for old, new in RENAMED.items():
        bind.execute(posts.update().where(posts.c.kind == old).values(kind=new))
    bind.execute(
        posts.update()
        .where(posts.c.state == "sent", posts.c.ts.is_(None), posts.c.kind.in_(DECISIONS))
        .values(state="decided")
    )
    for key, subject, claimed_at, detail in bind.execute(
        sa.select(posts.c.key, posts.c.subject, posts.c.claimed_at, posts.c.detail).where(
            posts.c.kind == "slo.status"
        )
    ):
        reshaped = _slo_status(subject, str(claimed_at), dict(detail or {}))
        bind.execute(posts.update().where(posts.c.key == key).values(detail=reshaped))
    for key, kind, subject, detail in bind.execute(
        sa.select(posts.c.key, posts.c.kind, posts.c.subject, posts.c.detail).where(
            posts.c.state == "pending", posts.c.kind.in_(NEEDS_INCIDENT)
        )
    ):
        incident = _incident(bind, subject, timeline=kind == "incident.postmortem-draft")
        if incident is None:
            continue
        reshaped = _with_incident(kind, dict(detail or {}), incident)
        bind.execute(posts.update().where(posts.c.key == key).values(detail=reshaped))


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(posts.update().where(posts.c.state == "decided").values(state="sent"))
    for old, new in RENAMED.items():
        bind.execute(posts.update().where(posts.c.kind == new).values(kind=old))


def _slo_status(name: str, at: str, detail: dict[str, Any]) -> dict[str, Any]:
    if "result" in detail:
        return detail
    result = {
        "name": name,
        "title": detail.get("title", name),
        "kind": detail.get("kind", ""),
        "objective": detail.get("objective", 0.0),
        "window": detail.get("window", ""),
        "status": detail.get("status", "unknown"),
        "evaluated_at": at,
        "budget_left_pct": detail.get("budget_left_pct"),
        "budget_used_pct": detail.get("budget_used_pct"),
    }
    return {"result": result, "previous": detail.get("previous")}


def _incident(bind: Any, incident_id: str, *, timeline: bool) -> dict[str, Any] | None:
    row = (
        bind.execute(sa.text("SELECT * FROM incidents WHERE id = :id"), {"id": incident_id})
        .mappings()
        .first()
    )
    if row is None:
        return None
    fields = [
        "id",
        "title",
        "description",
        "severity",
        "status",
        "components",
        "created_at",
        "created_by",
        "acknowledged_by",
        "acknowledged_at",
        "mitigated_at",
        "resolved_at",
        "closed_at",
        "root_cause",
        "resolution",
        "postmortem_url",
        "channel_id",
        "message_ts",
        "version",
    ]
    incident = {name: _plain(row[name]) for name in fields}
    incident["timeline"] = []
    if timeline:
        entries = bind.execute(
            sa.text(
                "SELECT at, actor, action, note FROM timeline WHERE incident_id = :id ORDER BY id"
            ),
            {"id": incident_id},
        ).mappings()
        incident["timeline"] = [{k: _plain(v) for k, v in entry.items()} for entry in entries]
    return incident


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _with_incident(kind: str, detail: dict[str, Any], incident: dict[str, Any]) -> dict[str, Any]:
    shaped = {k: v for k, v in detail.items() if k != "declared"} | {"incident": incident}
    if kind == "incident.escalation":
        shaped["respond_within"] = detail.get("respond_within_seconds", 0)
    return shaped
