"""Runbook runs as a test finds them: the run by who started it (the database), its Slack
message by the run's ID (the key the message carries), never by the runbook's name in a
text that a drill's dry run of the same runbook would carry too."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.runbooks.posts import message_key
from sandbox.slack import Message, SlackEmulator
from storage.db import Database
from storage.runbooks import RunbookRunRow


async def run_ids(
    db: Database,
    *,
    runbook: str,
    requester: str | None = None,
    dry_run: bool | None = None,
    incident_id: str | None = None,
) -> list[str]:
    """The IDs of the stored runs of ``runbook`` that match, oldest first."""
    query = select(RunbookRunRow).where(RunbookRunRow.runbook == runbook)
    if requester is not None:
        query = query.where(RunbookRunRow.requester == requester)
    if dry_run is not None:
        query = query.where(RunbookRunRow.dry_run == dry_run)
    if incident_id is not None:
        query = query.where(RunbookRunRow.incident_id == incident_id)
    async with db.transaction() as session:
        rows = (await session.execute(query)).scalars().all()
    return [row.id for row in sorted(rows, key=lambda row: (row.created_at, row.id))]


async def started_run(
    db: Database,
    *,
    runbook: str,
    requester: str | None = None,
    dry_run: bool = False,
    incident_id: str | None = None,
    within: float = 30.0,
) -> str:
    """The ID of the one run that matches, once it is stored; two that match fail the test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = await run_ids(
            db, runbook=runbook, requester=requester, dry_run=dry_run, incident_id=incident_id
        )
        if len(found) > 1:
            raise AssertionError(f"more than one run of {runbook} matches: {found}")
        if found:
            return found[0]
        if loop.time() >= deadline:
            raise AssertionError(f"no run of {runbook} by {requester} within {within:g} s")
        await asyncio.sleep(0.1)


def messages_of(emulator: SlackEmulator, run_id: str) -> list[Message]:
    """Every message, top level or in a thread, that is run ``run_id``'s own."""
    key = message_key(run_id)
    return [
        message
        for channel in emulator.channels
        for top in emulator.messages(channel)
        for message in (top, *emulator.replies(channel, top.ts))
        if ((message.metadata or {}).get("event_payload") or {}).get("key") == key
    ]


def run_message(emulator: SlackEmulator, run_id: str) -> Message:
    """Run ``run_id``'s message; LookupError until it is posted (``wait_for`` waits on)."""
    found = messages_of(emulator, run_id)
    if not found:
        raise LookupError(f"no message of {run_id} yet")
    (message,) = found
    return message


ENDED = ("succeeded", "failed", "rejected", "expired", "cancelled", "needs attention")


def ended_message(emulator: SlackEmulator, run_id: str) -> Message | None:
    """Run ``run_id``'s message once the run has ended (its fallback text ends with the
    state), else None; LookupError until it is posted."""
    message = run_message(emulator, run_id)
    return message if message.text.endswith(ENDED) else None
