"""SIGKILL right after the bot answered an Alertmanager notification: nothing is lost."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.outbox import PostKind
from sandbox.slack import SlackEmulator
from storage.alerts import AlertNotificationRow
from storage.db import Database
from storage.tables import IncidentRow
from tests.processes.conftest import Process, wait_ready
from tests.support.ports import free_port
from tests.support.progress import eventually, posts_settled

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

TOKEN = "process-alert-token"


async def _stored(database_url: str) -> tuple[list[IncidentRow], list[AlertNotificationRow]]:
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            incidents = list((await session.execute(select(IncidentRow))).scalars())
            stored = list((await session.execute(select(AlertNotificationRow))).scalars())
        return incidents, stored
    finally:
        await db.dispose()


async def test_a_kill_right_after_the_answer_still_gives_one_incident_and_one_card(
    process_env: dict[str, str], emulator: SlackEmulator, start: Any, fixtures_dir: Path
) -> None:
    port = free_port()
    env = {**process_env, "PORT": str(port), "ALERTMANAGER_TOKEN": TOKEN}
    url = f"http://127.0.0.1:{port}"
    payload = json.loads((fixtures_dir / "alertmanager" / "webhook_v4_firing.json").read_text())
    for each in payload["alerts"]:
        each["annotations"].pop("runbook")
    first: Process = await start("bot-1", "serve", "--with-scheduler", env=env)
    await wait_ready(url)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/alertmanager", json=payload, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as answer,
    ):
        assert answer.status == 200
        first.kill()  # the moment the 200 is in: whatever was under way dies with it
        assert (await answer.json())["opens_incident"]
    await first.process.wait()
    _, stored = await _stored(process_env["DATABASE_URL"])
    assert len(stored) == 1  # durable before the answer

    second: Process = await start("bot-2", "serve", "--with-scheduler", env=env)
    await wait_ready(url)
    await emulator.wait_for(
        lambda e: any(m.thread_ts is None for m in e.messages("C0INCIDENTS")),
        timeout=15,
        description="the incident's card",
    )

    # The notification worked and its card recorded: nothing is left that could post again.
    async def worked() -> bool:
        return [n.state for n in (await _stored(process_env["DATABASE_URL"]))[1]] == ["done"]

    await eventually(worked, within=60, description="the notification worked")
    await posts_settled(process_env["DATABASE_URL"], kinds=(PostKind.INCIDENT_CARD,))
    await second.stop()
    incidents, stored = await _stored(process_env["DATABASE_URL"])
    assert len(incidents) == 1 and [n.state for n in stored] == ["done"]
    cards = Counter(
        str(((m.metadata or {}).get("event_payload") or {}).get("key"))
        for m in emulator.messages("C0INCIDENTS")
        if m.thread_ts is None
    )
    assert cards == Counter({f"card:{incidents[0].id}": 1})
