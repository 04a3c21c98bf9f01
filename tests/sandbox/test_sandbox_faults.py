"""Rate limits and injected failures, trigger_id rules, response_url rules and file uploads."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import FixedClock
from sandbox.slack import SlackEmulator

MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Declare"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Declare an incident"}}],
}


async def _error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


async def test_429_is_answered_with_retry_after_and_the_sdk_handler_retries(emulator):
    emulator.rate_limit("chat.postMessage", retry_after=1)
    plain = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
    refused = await _error(plain.chat_postMessage(channel="C0GENERAL", text="first"))
    assert refused.response.status_code == 429
    assert refused.response.headers["Retry-After"] == "1"
    assert refused.response["error"] == "ratelimited"

    emulator.rate_limit("chat.postMessage", retry_after=1)
    patient = AsyncWebClient(
        token=emulator.bot_token,
        base_url=emulator.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    started = time.monotonic()
    answer = await patient.chat_postMessage(channel="C0GENERAL", text="second")

    assert answer["ok"] is True
    assert time.monotonic() - started >= 1.0  # it waited Retry-After before retrying
    assert [c.status for c in emulator.calls_to("chat.postMessage")] == [429, 429, 200]
    assert [m.text for m in emulator.messages("C0GENERAL")] == ["second"]


async def test_fail_answers_the_error_then_recovers(client, emulator):
    emulator.fail("users.info", "fatal_error", times=2)
    first = await _error(client.users_info(user="U0AAA"))
    second = await _error(client.users_info(user="U0AAA"))
    third = await client.users_info(user="U0AAA")
    assert [first.response["error"], second.response["error"]] == ["fatal_error"] * 2
    assert third["user"]["id"] == "U0AAA"


async def test_trigger_ids_expire_after_3s_and_are_single_use():
    clock = FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    async with SlackEmulator(clock=clock) as emulator:
        client = AsyncWebClient(token=emulator.bot_token, base_url=emulator.api_url)
        stale = emulator.new_trigger_id()
        clock.advance(timedelta(seconds=3.5))
        fresh = emulator.new_trigger_id(user="U0AAA")

        expired = await _error(client.views_open(trigger_id=stale, view=MODAL))
        opened = await client.views_open(trigger_id=fresh, view=MODAL)
        reused = await _error(client.views_open(trigger_id=fresh, view=MODAL))
        forged = await _error(client.views_open(trigger_id="123.456.abcdef", view=MODAL))
        garbled = await _error(client.views_open(trigger_id="not-a-trigger", view=MODAL))

    assert expired.response["error"] == "expired_trigger_id"
    assert reused.response["error"] == "exchanged_trigger_id"
    assert forged.response["error"] == "invalid_trigger_id"
    assert garbled.response["error"] == "invalid_trigger_id"
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["state"] == {"values": {}}
    assert emulator.view(opened["view"]["id"]).user == "U0AAA"


async def test_views_update_checks_hash_and_push_stops_at_three(client, emulator):
    opened = await client.views_open(trigger_id=emulator.new_trigger_id(), view=MODAL)
    view_id = opened["view"]["id"]
    conflict = await _error(client.views_update(view_id=view_id, hash="0.stale", view=MODAL))
    renamed = {**MODAL, "title": {"type": "plain_text", "text": "Declared"}}
    updated = await client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=renamed)
    for _ in range(2):
        await client.views_push(trigger_id=emulator.new_trigger_id(view_id=view_id), view=MODAL)
    too_deep = await _error(
        client.views_push(trigger_id=emulator.new_trigger_id(view_id=view_id), view=MODAL)
    )
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    refused = await _error(client.views_open(trigger_id=emulator.new_trigger_id(), view=long_title))

    assert conflict.response["error"] == "hash_conflict"
    assert updated["view"]["title"]["text"] == "Declared"
    assert updated["view"]["id"] == view_id
    assert too_deep.response["error"] == "push_limit_reached"
    assert refused.response["error"] == "invalid_arguments"
    assert len(emulator.views) == 3


async def _post_json(url: str, body: dict) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as answer:
        return answer.status, await answer.text()


async def test_response_url_posts_are_recorded_and_limited_to_five_uses(emulator):
    url = emulator.new_response_url(channel="C0INCIDENTS", user="U0AAA")
    answers = [await _post_json(url, {"text": f"update {n}"}) for n in range(6)]

    assert answers[:5] == [(200, "ok")] * 5
    assert answers[5] == (404, "used_url")
    assert [r.body["text"] for r in emulator.responses(url)][:5] == [
        f"update {n}" for n in range(5)
    ]
    assert [e.text for e in emulator.ephemerals(user="U0AAA")] == [f"update {n}" for n in range(5)]
    assert any("used more than 5 times" in v for v in emulator.violations)


async def test_response_url_replace_delete_and_in_channel(client, emulator):
    card = await client.chat_postMessage(channel="C0INCIDENTS", text="SEV2 open")
    url = emulator.new_response_url(channel="C0INCIDENTS", ts=card["ts"], user="U0BBB")

    await _post_json(url, {"replace_original": True, "text": "SEV2 acked by <!here>"})
    replaced = emulator.message("C0INCIDENTS", card["ts"])
    assert (replaced.text, replaced.history[0].text) == ("SEV2 acked by <!here>", "SEV2 open")
    assert "<!here>" in emulator.violations[0]

    await _post_json(url, {"response_type": "in_channel", "text": "status page updated"})
    await _post_json(url, {"delete_original": True})
    assert [m.text for m in emulator.messages("C0INCIDENTS")] == [
        "SEV2 acked by <!here>",
        "status page updated",
    ]
    assert emulator.message("C0INCIDENTS", card["ts"]).deleted
    assert await _post_json(url, {}) == (400, "no_text")


async def test_file_upload_flow_stores_bytes_and_shares_them(client, emulator):
    answer = await client.files_upload_v2(
        channel="C0INCIDENTS",
        content=b"timeline\n09:00 paged\n",
        filename="timeline.txt",
        title="Timeline",
        initial_comment="Postmortem draft",
    )

    (upload,) = emulator.uploads
    assert upload.content == b"timeline\n09:00 paged\n"
    assert (upload.filename, upload.title, upload.channel) == (
        "timeline.txt",
        "Timeline",
        "C0INCIDENTS",
    )
    assert upload.initial_comment == "Postmortem draft"
    assert answer["file"]["id"] == upload.file_id
    shared = emulator.messages("C0INCIDENTS")[0]
    assert (shared.text, shared.files) == ("Postmortem draft", [upload.file_id])
