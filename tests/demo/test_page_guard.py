"""The sandbox page serves only itself: another site's request, a name rebound to this machine
and a change that is not JSON are refused, and nothing happens. In-process, over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from yarl import URL

from sandbox.demo.running import RunningDemo
from tests.demo.inprocess import demo_at, posted, settled

START = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)  # a Wednesday 11:00 in Seoul: nothing due
DECLARE = {"user": "U0AAA", "channel": "C0INCIDENTS", "line": "/incident create sev1 Pwned"}
NOTHING = {"incidents": [], "oncall": [], "slo-digest": []}


async def _send(
    demo: RunningDemo, method: str, path: str, *, headers: dict[str, str], body: str = ""
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{demo.page_url}{path}", data=body, headers=headers) as answer,
    ):
        return answer.status, await answer.text()


def _own_host(demo: RunningDemo) -> str:
    url = URL(demo.page_url)
    return f"{url.host}:{url.port}"


async def test_another_sites_post_is_refused_and_declares_nothing(tmp_path: Path) -> None:
    async with demo_at(START, tmp_path) as demo:
        await settled(demo)
        own = f"http://{_own_host(demo)}"
        body = json.dumps(DECLARE)
        refused = [
            # A form or fetch from another site: text/plain needs no permission to be sent.
            {"Origin": "http://evil.example", "Content-Type": "text/plain"},
            {"Origin": "http://evil.example", "Content-Type": "application/json"},
            {"Origin": "null", "Content-Type": "application/json"},
            # A browser that names the site only in Sec-Fetch-Site.
            {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"},
        ]
        answers = [
            await _send(demo, "POST", "/_sandbox/act/line", headers=h, body=body) for h in refused
        ]
        # Not JSON, even with no Origin at all (an old browser's form post).
        not_json = await _send(
            demo, "POST", "/_sandbox/act/line", headers={"Content-Type": "text/plain"}, body=body
        )
        faults = await _send(
            demo, "DELETE", "/_sandbox/faults", headers={"Origin": "http://evil.example"}
        )
        await settled(demo)
        assert [status for status, _ in answers] == [403, 403, 403, 403]
        assert "requests from another site are refused" in answers[0][1]
        assert not_json[0] == 415 and "send JSON" in not_json[1]
        assert faults[0] == 403
        assert posted(demo) == NOTHING
        assert demo.emulator.calls == []
        assert await demo.bot.container.incidents.list_incidents(limit=None) == []

        # The page's own request, as its script sends it: the incident is declared.
        done = await _send(
            demo,
            "POST",
            "/_sandbox/act/line",
            headers={"Origin": own, "Content-Type": "application/json"},
            body=body,
        )
        assert done[0] == 200
        await settled(demo)
        assert [i.title for i in await demo.bot.container.incidents.list_incidents()] == ["Pwned"]


async def test_a_name_rebound_to_this_machine_is_refused(tmp_path: Path) -> None:
    async with demo_at(START, tmp_path) as demo:
        await settled(demo)
        port = URL(demo.page_url).port
        rebound = {"Host": f"evil.example:{port}"}
        reads = [
            await _send(demo, "GET", path, headers=rebound) for path in ("/", "/_sandbox/state")
        ]
        write = await _send(
            demo,
            "POST",
            "/_sandbox/act/line",
            headers={**rebound, "Content-Type": "application/json"},
            body=json.dumps(DECLARE),
        )
        skip = await _send(
            demo,
            "POST",
            "/_sandbox/time",
            headers={**rebound, "Content-Type": "application/json"},
            body=json.dumps({"skip": "handoff"}),
        )
        other_port = await _send(
            demo, "GET", "/_sandbox/state", headers={"Host": f"127.0.0.1:{port + 1}"}
        )
        await settled(demo)
        assert [status for status, _ in reads] == [403, 403]
        assert "answers only at its own address" in reads[0][1]
        assert (write[0], skip[0], other_port[0]) == (403, 403, 403)
        assert demo.clock.offset.total_seconds() == 0  # the skip did not happen
        assert posted(demo) == NOTHING
        assert await demo.bot.container.incidents.list_incidents(limit=None) == []
        for host in (_own_host(demo), f"localhost:{port}"):
            status, page = await _send(demo, "GET", "/", headers={"Host": host})
            assert status == 200 and "<title>Artisan SRE bot" in page
