"""One Prometheus alerting two real Alertmanagers: unclustered, both deliver the
same group; clustered, the one delivering is killed mid-outage and its peer takes over.
Either way the bot opens one incident and runs one downshift."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.slack import Message, SlackEmulator
from tests.processes import test_alerting_e2e as single
from tests.processes.conftest import wait_ready
from tests.support.alerting import Alertmanager, Prometheus
from tests.support.cli import run_cli
from tests.support.ports import free_port
from tests.support.progress import alerts_worked, eventually

# The engine can change what these show (README: the PostgreSQL run repeats them).
pytestmark = pytest.mark.engine

standin = single.standin  # the serving stand-in fixture, shared
Standin = single.Standin
TITLE = "Qwen model is unhealthy"


@dataclass
class Pair:
    standin: Standin
    prometheus: Prometheus
    alertmanagers: list[Alertmanager]
    env: dict[str, str]

    async def cli(self, *args: str) -> str:
        """``python -m bot ARGS`` against the bot's database; its stdout."""
        code, out, err = await run_cli(*args, env=self.env)
        assert code == 0, err
        return out


@pytest.fixture
def monitoring(tmp_path: Path) -> Iterator[tuple[Prometheus, list[Alertmanager]]]:
    prometheus = Prometheus(tmp_path)
    alertmanagers = [Alertmanager(tmp_path, f"alertmanager-{n}") for n in (1, 2)]
    try:
        yield prometheus, alertmanagers
    finally:
        prometheus.stop()
        for alertmanager in alertmanagers:
            alertmanager.stop()


@pytest.fixture
def pair(
    process_env: dict[str, str],
    standin: Standin,
    monitoring: tuple[Prometheus, list[Alertmanager]],
    start: Callable[..., Any],
    tmp_path: Path,
) -> Callable[..., Any]:
    """Start the bot, then two Alertmanagers (``clustered`` or not) and Prometheus."""

    async def _pair(*, clustered: bool) -> Pair:
        config = tmp_path / "alerting.yaml"
        config.write_text(single.CONFIG)
        port = free_port()
        env = {
            **process_env,
            "SRE_CONFIG": str(config),
            "SERVING_URL": standin.url,
            "PORT": str(port),
            "ALERTMANAGER_TOKEN": single.TOKEN,
        }
        await start("bot", "serve", "--with-scheduler", env=env)
        bot_url = f"http://127.0.0.1:{port}"

        await wait_ready(bot_url)
        prometheus, alertmanagers = monitoring
        first, second = alertmanagers
        await asyncio.gather(  # side by side: each peer finds the other at its first join
            *(
                asyncio.to_thread(
                    alertmanager.start,
                    bot_url=bot_url,
                    token=single.TOKEN,
                    peers=[other.cluster_address] if clustered else None,
                )
                for alertmanager, other in ((first, second), (second, first))
            )
        )
        # Prometheus starts while the pair settles: the rule's `for` outlasts the settling,
        # and an Alertmanager sends nothing before it has settled anyway.
        urls = [am.url for am in alertmanagers]
        await asyncio.to_thread(prometheus.start, target=standin.target, alertmanager=urls)
        if clustered:

            async def joined() -> bool:
                statuses = await asyncio.gather(
                    *(asyncio.to_thread(am.get, "/api/v2/status") for am in alertmanagers)
                )
                return all(
                    s["cluster"]["status"] == "ready" and len(s["cluster"]["peers"]) == 2
                    for s in statuses
                )

            await eventually(joined, within=30, description="the two Alertmanagers clustered")
        return Pair(standin, prometheus, alertmanagers, env)

    return _pair


async def _notified(alertmanager: Alertmanager) -> float:
    return await asyncio.to_thread(alertmanager.webhook_notifications)


async def _downshifted_once(pair: Pair, emulator: SlackEmulator, card: Message) -> None:
    """The downshift ran, succeeded, in the incident's thread; one routing change."""

    async def downshifted() -> bool:
        routing = await pair.standin.call("GET", "/admin/routing")
        return bool(routing["routing"]["creative"] == "balanced")

    await eventually(downshifted, within=40, description="creative served by balanced")
    await single.downshift_in_thread(pair.env["DATABASE_URL"], emulator, card)


async def _resolved_once(pair: Pair, emulator: SlackEmulator, card: Message) -> None:
    """Fault cleared: the resolved note once, and still one card and one routing change."""
    live = [am for am in pair.alertmanagers if am.alive]
    before = await asyncio.gather(*(_notified(am) for am in live))
    await pair.standin.call("DELETE", "/_standin/faults")
    await emulator.wait_for(
        lambda e: [r for r in e.replies("C0INCIDENTS", card.ts) if ", 1 resolved" in r.text],
        timeout=40,
        description="the resolved note in the incident's thread",
    )

    # Each live Alertmanager delivers the resolution on its own (a clustered survivor, or
    # both of an unclustered pair): once all have, and the bot has worked what they sent, a
    # second incident or a second note would be there.
    async def all_delivered() -> bool:
        counts = await asyncio.gather(*(_notified(am) for am in live))
        return all(now > then for now, then in zip(counts, before, strict=True))

    await eventually(all_delivered, within=60, description="the resolution from each")
    await alerts_worked(pair.env["DATABASE_URL"])
    incident_id = single.incident_of(card)
    shown = json.loads(await pair.cli("incident", "show", incident_id, "--json"))
    notes = [entry["note"] or "" for entry in shown["timeline"]]
    assert len([n for n in notes if n.startswith("Resolved in Alertmanager")]) == 1, notes
    assert [m.ts for m in single._cards(emulator)] == [card.ts]
    log = await pair.standin.call("GET", "/_standin/requests?method=POST&prefix=/admin/routing")
    assert len(log["requests"]) == 1, log


async def test_two_unclustered_alertmanagers_open_one_incident_and_run_once(
    pair: Callable[..., Any], emulator: SlackEmulator
) -> None:
    ha: Pair = await pair(clustered=False)
    await ha.standin.call("POST", "/_standin/faults", {"model_down": "qwen"})

    (card,) = await emulator.wait_for(
        lambda e: single._titled(e, TITLE), timeout=60, description="the incident card"
    )

    # Each Alertmanager knows nothing of the other: both deliver the group to the bot.
    async def both_delivered() -> bool:
        counts = await asyncio.gather(*(_notified(am) for am in ha.alertmanagers))
        return all(count > 0 for count in counts)

    await eventually(both_delivered, within=30, description="both Alertmanagers delivering")
    await _downshifted_once(ha, emulator, card)
    await _resolved_once(ha, emulator, card)


async def test_a_clustered_pair_failing_over_mid_outage_opens_one_incident_and_runs_once(
    pair: Callable[..., Any], emulator: SlackEmulator
) -> None:
    ha: Pair = await pair(clustered=True)
    await ha.standin.call("POST", "/_standin/faults", {"model_down": "qwen"})

    (card,) = await emulator.wait_for(
        lambda e: single._titled(e, TITLE), timeout=60, description="the incident card"
    )

    # The first in the cluster's order delivered; kill it as a machine dies, mid-outage.
    async def delivering() -> list[Alertmanager]:
        counts = await asyncio.gather(*(_notified(am) for am in ha.alertmanagers))
        return [am for am, count in zip(ha.alertmanagers, counts, strict=True) if count > 0]

    first, *_ = await eventually(delivering, within=30, description="a delivering peer")
    (survivor,) = [am for am in ha.alertmanagers if am is not first]
    before = await _notified(survivor)
    await asyncio.to_thread(first.kill)

    await _downshifted_once(ha, emulator, card)
    await _resolved_once(ha, emulator, card)
    # The resolved note came from the survivor: it took over the group's deliveries.
    assert await _notified(survivor) > before
