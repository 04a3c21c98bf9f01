"""Slack's bad days over real HTTP: outage, hang, stalled answers, errors after the work,
hooks between "Slack posted" and "the client heard", and conversations.history to look."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncServerErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import RecordedCall, SlackEmulator
from tests.support.progress import let_the_loop_turn

UNAVAILABLE = {"ok": False, "error": "service_unavailable"}


async def _error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


def _plain(emulator: SlackEmulator) -> AsyncWebClient:
    """A client without retry handlers: it reports the first answer it gets."""
    return AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url, retry_handlers=[])


def _texts(emulator: SlackEmulator, channel: str = "C0INCIDENTS") -> list[str]:
    return [m.text for m in emulator.messages(channel)]


async def _post_json(url: str, body: dict) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as answer:
        return answer.status, await answer.text()


async def test_an_outage_answers_503_and_changes_nothing_until_restored(client, emulator):
    url = emulator.new_response_url(channel="C0INCIDENTS", user="U0AAA")
    emulator.outage()

    refused = await _error(client.chat_postMessage(channel="C0INCIDENTS", text="SEV1 open"))
    unread = await _error(client.auth_test())
    response_status, response_text = await _post_json(url, {"text": "on it"})

    assert emulator.is_out
    assert refused.response.status_code == 503
    assert refused.response.data == UNAVAILABLE
    assert unread.response["error"] == "service_unavailable"
    assert (response_status, json.loads(response_text)) == (503, UNAVAILABLE)
    assert _texts(emulator) == []
    assert emulator.ephemerals() == []
    assert [(c.method, c.status) for c in emulator.calls] == [
        ("chat.postMessage", 503),
        ("auth.test", 503),
    ]
    assert [r.status for r in emulator.responses(url)] == [503]

    emulator.restore()
    posted = await client.chat_postMessage(channel="C0INCIDENTS", text="SEV1 open")
    assert not emulator.is_out
    assert posted["ok"] is True
    assert _texts(emulator) == ["SEV1 open"]
    assert await _post_json(url, {"text": "on it"}) == (200, "ok")
    assert [e.text for e in emulator.ephemerals(user="U0AAA")] == ["on it"]


async def test_a_stalled_answer_comes_late_while_the_message_is_already_there(client, emulator):
    emulator.stall("chat.postMessage", 1.0)
    started = time.monotonic()
    slow = asyncio.create_task(client.chat_postMessage(channel="C0INCIDENTS", text="SEV2 open"))

    (posted,) = await emulator.wait_for(lambda emu: emu.messages("C0INCIDENTS"))
    fast_started = time.monotonic()
    who = await client.auth_test()
    fast_elapsed = time.monotonic() - fast_started
    still_waiting = not slow.done()
    answer = await slow

    assert posted.text == "SEV2 open"
    assert who["user_id"] == "U0ARTBOT"
    assert fast_elapsed < 0.5 and still_waiting
    assert time.monotonic() - started >= 1.0
    assert answer["ts"] == posted.ts
    next_started = time.monotonic()
    await client.chat_postMessage(channel="C0INCIDENTS", text="SEV2 update")
    assert time.monotonic() - next_started < 0.5  # times=1: only one answer stalls


async def test_a_hanging_slack_processes_calls_late_and_restore_wakes_them(client, emulator):
    emulator.hang(0.3)
    started = time.monotonic()
    await client.chat_postMessage(channel="C0INCIDENTS", text="late")
    assert time.monotonic() - started >= 0.3
    assert _texts(emulator) == ["late"]

    emulator.hang(30)
    url = emulator.new_response_url(channel="C0INCIDENTS", user="U0BBB")
    held = asyncio.create_task(client.chat_postMessage(channel="C0INCIDENTS", text="held"))
    held_response = asyncio.create_task(_post_json(url, {"text": "held too"}))
    await emulator.wait_for(lambda e: e.held_in_hang == 2, description="both calls held")
    assert _texts(emulator) == ["late"] and emulator.ephemerals() == []
    assert not held.done() and not held_response.done()

    emulator.restore()
    answer = await asyncio.wait_for(held, timeout=2)
    assert await asyncio.wait_for(held_response, timeout=2) == (200, "ok")
    assert answer["ok"] is True
    assert _texts(emulator) == ["late", "held"]
    assert [e.text for e in emulator.ephemerals(user="U0BBB")] == ["held too"]


async def test_an_error_after_the_work_leaves_the_message_posted(emulator):
    emulator.fail_after_work("chat.postMessage")

    failed = await _error(_plain(emulator).chat_postMessage(channel="C0INCIDENTS", text="SEV1"))

    assert failed.response.status_code == 500
    assert failed.response.data == {"ok": False, "error": "internal_error"}
    assert _texts(emulator) == ["SEV1"]  # the client heard "error", yet Slack posted it
    assert [(c.status, c.error) for c in emulator.calls] == [(500, "internal_error")]


async def test_a_client_that_retries_server_errors_posts_twice(emulator):
    emulator.fail_after_work("chat.postMessage", status=503)
    retrying = AsyncWebClient(
        token=emulator.bot_token,
        base_url=emulator.api_url,
        retry_handlers=[AsyncServerErrorRetryHandler(max_retry_count=1)],
    )

    answer = await retrying.chat_postMessage(channel="C0INCIDENTS", text="SEV1")

    assert answer["ok"] is True
    assert _texts(emulator) == ["SEV1", "SEV1"]  # what an outbox must prevent
    assert [c.status for c in emulator.calls] == [503, 200]


async def test_a_hook_runs_after_the_work_and_before_the_answer(client, emulator):
    events: list[str] = []
    seen: list[tuple[RecordedCall, dict]] = []
    go_on = asyncio.Event()

    async def hook(call: RecordedCall, result: dict) -> None:
        seen.append((call, result))
        events.append(f"hook sees {_texts(emulator)}")
        await go_on.wait()  # the hook is slow until the test lets it finish
        go_on.clear()
        events.append("hook done")

    async def post_through_the_hook(text: str) -> dict:
        posting = asyncio.create_task(client.chat_postMessage(channel="C0INCIDENTS", text=text))
        calls = len(seen)
        await emulator.wait_for(lambda e: len(seen) > calls, description="the hook running")
        await let_the_loop_turn()
        assert not posting.done()  # the answer waits for the hook
        go_on.set()
        answer = await posting
        events.append("answer")
        return answer

    emulator.on_call("chat.postMessage", hook)
    first = await post_through_the_hook("SEV3 open")
    await post_through_the_hook("SEV3 update")
    await _error(client.chat_postMessage(channel="C0NOPE", text="nowhere"))
    emulator.clear_hooks()
    await client.chat_postMessage(channel="C0INCIDENTS", text="SEV3 closed")

    # The answers waited for the hook, twice.
    assert events == [
        "hook sees ['SEV3 open']",
        "hook done",
        "answer",
        "hook sees ['SEV3 open', 'SEV3 update']",
        "hook done",
        "answer",
    ]
    assert [(call.method, call.status, call.args["text"]) for call, _ in seen] == [
        ("chat.postMessage", 200, "SEV3 open"),
        ("chat.postMessage", 200, "SEV3 update"),
    ]
    assert seen[0][1]["ts"] == first["ts"]
    assert _texts(emulator) == ["SEV3 open", "SEV3 update", "SEV3 closed"]


_POSTER = """
import json, sys, urllib.request
request = urllib.request.Request(
    sys.argv[1] + "chat.postMessage",
    data=json.dumps({"channel": "C0INCIDENTS", "text": "posted, then killed"}).encode(),
    headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"},
)
print(urllib.request.urlopen(request).read().decode(), flush=True)
"""


async def test_a_client_killed_in_the_hook_never_hears_but_the_message_stays(emulator):
    poster = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _POSTER,
        emulator.api_url,
        emulator.bot_token,
        stdout=asyncio.subprocess.PIPE,
    )

    async def kill_the_client(call: RecordedCall, result: dict) -> None:
        poster.kill()
        await poster.wait()

    emulator.on_call("chat.postMessage", kill_the_client)
    heard, _ = await asyncio.wait_for(poster.communicate(), timeout=10)
    emulator.clear_hooks()
    after = await _plain(emulator).chat_postMessage(channel="C0INCIDENTS", text="still serving")

    assert poster.returncode == -9
    assert heard == b""  # the client died before the answer
    assert _texts(emulator) == ["posted, then killed", "still serving"]
    assert [c.status for c in emulator.calls] == [200, 200]
    assert after["ok"] is True


async def test_a_hook_that_raises_is_a_violation_not_a_crash(client, emulator):
    async def broken(call: RecordedCall, result: dict) -> None:
        raise RuntimeError("hook bug")

    emulator.on_call("chat.postMessage", broken)
    answer = await client.chat_postMessage(channel="C0INCIDENTS", text="SEV2")

    assert answer["ok"] is True
    assert _texts(emulator) == ["SEV2"]
    assert emulator.violations == [
        "on_call hook for chat.postMessage raised RuntimeError('hook bug')"
    ]


async def test_reset_lifts_every_bad_day(client, emulator):
    hooked: list[str] = []

    async def hook(call: RecordedCall, result: dict) -> None:
        hooked.append(call.method)

    emulator.stall("chat.postMessage", 30)
    stuck = asyncio.create_task(client.chat_postMessage(channel="C0INCIDENTS", text="stuck"))
    await emulator.wait_for(lambda emu: emu.messages("C0INCIDENTS"))
    emulator.outage()
    emulator.hang(30)
    emulator.stall("chat.postMessage", 30)
    emulator.fail_after_work("chat.postMessage")
    emulator.rate_limit("chat.postMessage")
    emulator.on_call("chat.postMessage", hook)
    emulator.reset()

    started = time.monotonic()
    released = await asyncio.wait_for(stuck, timeout=2)  # a stalled answer goes out at once
    answer = await client.chat_postMessage(channel="C0INCIDENTS", text="calm")

    assert not emulator.is_out
    assert released["ok"] is True and answer["ok"] is True
    assert time.monotonic() - started < 1
    assert hooked == []
    assert _texts(emulator) == ["calm"]


async def test_history_is_top_level_newest_first_with_metadata_only_when_asked(client, emulator):
    meta = {"event_type": "incident_card", "event_payload": {"incident": "INC-7"}}
    card = await client.chat_postMessage(channel="C0INCIDENTS", text="INC-7 open", metadata=meta)
    await client.chat_postMessage(channel="C0INCIDENTS", text="acked", thread_ts=card["ts"])
    emulator.add_user_message(channel="C0INCIDENTS", user="U0AAA", text="looking")
    gone = await client.chat_postMessage(channel="C0INCIDENTS", text="oops")
    await client.chat_delete(channel="C0INCIDENTS", ts=gone["ts"])
    await client.chat_postMessage(channel="C0INCIDENTS", text="INC-7 resolved")
    await client.chat_postMessage(channel="C0GENERAL", text="elsewhere")

    plain = await client.conversations_history(channel="C0INCIDENTS")
    with_meta = await client.conversations_history(channel="C0INCIDENTS", include_all_metadata=True)

    assert [m["text"] for m in plain["messages"]] == ["INC-7 resolved", "looking", "INC-7 open"]
    assert plain["has_more"] is False
    assert all("metadata" not in m for m in plain["messages"])
    parent = plain["messages"][-1]
    assert (parent["ts"], parent["thread_ts"], parent["reply_count"]) == (card["ts"], card["ts"], 1)
    assert with_meta["messages"][-1]["metadata"] == meta
    assert "metadata" not in with_meta["messages"][0]


async def test_history_pages_by_limit_and_windows_by_oldest_and_latest(client, emulator):
    stamps = [
        (await client.chat_postMessage(channel="C0SLO", text=f"burn {n}"))["ts"] for n in range(5)
    ]

    first = await client.conversations_history(channel="C0SLO", limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="C0SLO", limit=10, cursor=cursor)
    after = await client.conversations_history(channel="C0SLO", oldest=stamps[2])
    window = await client.conversations_history(
        channel="C0SLO", oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    unknown = await _error(client.conversations_history(channel="C0NOPE"))

    assert [m["text"] for m in first["messages"]] == ["burn 4", "burn 3"]
    assert first["has_more"] is True and cursor
    assert [m["text"] for m in rest["messages"]] == ["burn 2", "burn 1", "burn 0"]
    assert rest["has_more"] is False and rest["response_metadata"]["next_cursor"] == ""
    assert [m["text"] for m in after["messages"]] == ["burn 4", "burn 3"]  # oldest is exclusive
    assert [m["text"] for m in window["messages"]] == ["burn 3", "burn 2", "burn 1"]
    assert unknown.response["error"] == "channel_not_found"
