"""A process killed while Slack's requests are being acknowledged, and what the people who
sent them end up with.

One scenario, used by the suite (one kill, each engine) and by ``bench.kill_creates`` (the
whole matrix): ``python -m bot serve`` on a database of the caller's, N concurrent signed
``/incident create`` with distinct titles, SIGKILL a chosen time after the first was sent,
then a second ``serve`` on the same database. Every request Slack heard "got it" for must
end with one incident, one card and one answer; a request the kill cut off before its ack
may end either way (Slack shows its sender an error, as it does for any timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select

from sandbox.slack import DriverResponse, SlackDriver, SlackEmulator
from storage.db import Database
from storage.tables import IncidentRow
from tests.support.ports import free_port
from tests.support.progress import eventually, progress, wait_ready

ROOT = Path(__file__).resolve().parents[2]
SECRET = "kill-secret"
SETTLE_WITHIN = 60.0
NOTHING_RECORDED = "nothing was recorded"


@dataclass
class Outcome:
    """What one kill left: per acknowledged title, how many incidents, cards and answers."""

    sent: int
    acked: list[str] = field(default_factory=list)
    incidents: Counter[str] = field(default_factory=Counter)
    cards: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)

    def lost(self) -> list[str]:
        """Acknowledged creates without an incident, a card or an answer."""
        return [
            t for t in self.acked if not (self.incidents[t] and self.cards[t] and self.answers[t])
        ]

    def twice(self) -> list[str]:
        """Creates with a second incident, card or answer."""
        titles = set(self.incidents) | set(self.cards) | set(self.answers)
        return sorted(
            t for t in titles if max(self.incidents[t], self.cards[t], self.answers[t]) > 1
        )

    @property
    def whole(self) -> bool:
        return not self.lost() and not self.twice()


def _acked(answer: DriverResponse | BaseException) -> bool:
    """Slack heard "got it": a 200 that does not say nothing was recorded."""
    return (
        isinstance(answer, DriverResponse)
        and answer.status == 200
        and NOTHING_RECORDED not in answer.text.lower()
    )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _start_command(
    args: list[str], env: Mapping[str, str], log_path: Path
) -> asyncio.subprocess.Process:
    log = log_path.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env=dict(env), stdout=log, stderr=log, cwd=ROOT
        )
    finally:
        log.close()


async def _stored_titles(database_url: str) -> dict[str, list[str]]:
    """Incident IDs per title."""
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            rows = (await session.execute(select(IncidentRow.id, IncidentRow.title))).all()
    finally:
        await db.dispose()
    titles: dict[str, list[str]] = {}
    for incident_id, title in rows:
        titles.setdefault(str(title), []).append(str(incident_id))
    return titles


def _cards(emulator: SlackEmulator) -> Counter[str]:
    """Top-level cards in the incidents channel, per incident ID."""
    keys: Counter[str] = Counter()
    for message in emulator.messages("C0INCIDENTS"):
        key = str(((message.metadata or {}).get("event_payload") or {}).get("key"))
        if key.startswith("card:"):
            keys[key.removeprefix("card:")] += 1
    return keys


async def _count(
    env: Mapping[str, str],
    emulator: SlackEmulator,
    titles: list[str],
    acked: list[str],
    response_urls: Mapping[str, str | None],
) -> Outcome:
    """Incidents (in the database), cards and answers (in Slack) per title, now."""
    stored = await _stored_titles(env["DATABASE_URL"])
    cards = _cards(emulator)
    counts = Outcome(sent=len(titles), acked=acked)
    for title in titles:
        ids = stored.get(title, [])
        counts.incidents[title] = len(ids)
        counts.cards[title] = sum(cards[i] for i in ids)
        response_url = response_urls.get(title)
        counts.answers[title] = emulator.answers_shown(response_url) if response_url else 0
    return counts


async def kill_during_creates(
    *,
    env: Mapping[str, str],
    emulator: SlackEmulator,
    workdir: Path,
    kill_after: float,
    creates: int = 50,
    tag: str = "load",
    acked_first: int = 0,
) -> Outcome:
    """Run the scenario once; ``env`` is the processes' environment without ``PORT``.
    ``acked_first``: the kill waits for that many answers to the creates too (a test's
    scenario must happen however slow the machine is; the bench kills at fixed moments)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**env, "PORT": str(port), "SLACK_SIGNING_SECRET": SECRET}
    first = await _start_command(["serve"], env, workdir / f"{tag}-first.log")
    await wait_ready(url)
    titles = [f"{tag} {n}" for n in range(creates)]
    async with SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) as slack:
        sends = [
            asyncio.ensure_future(slack.slash("/incident", f"create sev3 {t}", user="U0AAA"))
            for t in titles
        ]
        await asyncio.sleep(kill_after)  # the moment of the kill is the scenario's input
        pending = set(sends)
        while len(sends) - len(pending) < acked_first and pending:
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        first.send_signal(signal.SIGKILL)
        answers = await asyncio.gather(*sends, return_exceptions=True)
    await first.wait()
    outcome = Outcome(sent=creates)
    outcome.acked = [t for t, a in zip(titles, answers, strict=True) if _acked(a)]
    urls = {t: a.response_url for t, a in zip(titles, answers, strict=True) if _acked(a)}

    second = await _start_command(["serve"], env, workdir / f"{tag}-second.log")
    try:
        await wait_ready(url)

        async def counted() -> Outcome:
            return await _count(env, emulator, titles, outcome.acked, urls)

        async def whole() -> bool:
            return (await counted()).whole

        # Not whole within the bound: the counts below say what is missing.
        with contextlib.suppress(AssertionError):
            await eventually(whole, within=SETTLE_WITHIN, description="every create whole")
        # What settled must stay settled: nothing more is sent on the next outbox passes.
        passes = (await progress(url)).passes

        async def two_more_passes() -> bool:
            return (await progress(url)).passes >= passes + 2

        await eventually(two_more_passes, within=SETTLE_WITHIN, description="two outbox passes")
        outcome = await counted()
    finally:
        await _stop(second)
    return outcome


def serve_env(emulator: SlackEmulator, database_url: str, config: Path) -> dict[str, str]:
    """``python -m bot serve`` against the emulator, on ``database_url``, with the sre.yaml
    at ``config``, no Redis."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SRE_CONFIG": str(config),
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_API_URL": emulator.api_url,
        "SLACK_APP_TOKEN": "",
        "REDIS_URL": "",
        "PROMETHEUS_URL": "",
    }


async def split_failover(
    *,
    env: Mapping[str, str],
    emulator: SlackEmulator,
    workdir: Path,
    creates: int = 1000,
    at_once: int = 20,
) -> Outcome:
    """Two ``serve --web-only`` and two ``worker`` on one PostgreSQL database; creates go to
    both doors in turn; a third of the way in one worker is SIGKILLed, half-way one door is
    restarted. Counts, per acknowledged create, its incidents and cards (answers too)."""
    env = {**env, "SLACK_SIGNING_SECRET": SECRET}
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]

    async def door(n: int, life: int) -> asyncio.subprocess.Process:
        door_env = {**env, "PORT": str(ports[n])}
        return await _start_command(
            ["serve", "--web-only"], door_env, workdir / f"web-{n}-{life}.log"
        )

    doors = [await door(0, 1), await door(1, 1)]
    workers = [await _start_command(["worker"], env, workdir / f"worker-{n}.log") for n in range(2)]
    try:
        for url in urls:
            await wait_ready(url)
        titles = [f"split {n}" for n in range(creates)]
        drivers = [
            SlackDriver(app_url=url, signing_secret=SECRET, emulator=emulator) for url in urls
        ]
        gate = asyncio.Semaphore(at_once)
        answers: dict[str, DriverResponse | BaseException] = {}
        a_third, a_half = asyncio.Event(), asyncio.Event()

        async def send(n: int) -> None:
            async with gate:
                try:
                    answers[titles[n]] = await drivers[n % 2].slash(
                        "/incident", f"create sev4 {titles[n]}", user="U0AAA"
                    )
                except Exception as exc:  # the door being restarted: Slack shows an error
                    answers[titles[n]] = exc
            if len(answers) >= creates // 3:
                a_third.set()
            if len(answers) >= creates // 2:
                a_half.set()

        async def faults() -> None:
            await a_third.wait()
            workers[0].send_signal(signal.SIGKILL)
            await a_half.wait()
            await _stop(doors[1])
            doors[1] = await door(1, 2)
            await wait_ready(urls[1])

        try:
            await asyncio.gather(faults(), *(send(n) for n in range(creates)))
        finally:
            for driver in drivers:
                await driver.close()
        outcome = Outcome(sent=creates)
        outcome.acked = [t for t in titles if _acked(answers[t])]
        urls_by_title = {
            t: a.response_url
            for t, a in answers.items()
            if isinstance(a, DriverResponse) and _acked(a)
        }

        async def counted() -> Outcome:
            return await _count(env, emulator, titles, outcome.acked, urls_by_title)

        async def whole() -> bool:
            return (await counted()).whole

        with contextlib.suppress(AssertionError):
            await eventually(whole, within=SETTLE_WITHIN * 3, description="every create whole")
        return await counted()
    finally:
        for process in (*doors, *workers):
            await _stop(process)
