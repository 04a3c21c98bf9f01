"""The emulated Web API through slack_sdk's real AsyncWebClient (and raw HTTP for the
wire formats other SDKs use)."""

from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


def _section(text: str, kind: str = "mrkdwn") -> dict:
    return {"type": "section", "text": {"type": kind, "text": text}}


async def _error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


async def test_auth_test_reports_the_bot(client):
    answer = await client.auth_test()
    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == (
        "U0ARTBOT",
        "B0ARTBOT",
        "T0ARTISAN",
    )


async def test_bad_and_missing_tokens_are_refused(emulator):
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=emulator.api_url)
    anonymous = AsyncWebClient(token=None, base_url=emulator.api_url)

    invalid = await _error(wrong.chat_postMessage(channel="C0GENERAL", text="x"))
    missing = await _error(anonymous.auth_test())

    assert (invalid.response.status_code, invalid.response["error"]) == (200, "invalid_auth")
    assert missing.response["error"] == "not_authed"
    assert emulator.messages("C0GENERAL") == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
async def test_post_message_to_unknown_channel_or_without_text_fails(client, emulator):
    unknown = await _error(client.chat_postMessage(channel="C0NOPE", text="x"))
    empty = await _error(client.chat_postMessage(channel="C0GENERAL", text=""))
    assert unknown.response["error"] == "channel_not_found"
    assert empty.response["error"] == "no_text"
    assert [c.error for c in emulator.calls] == ["channel_not_found", "no_text"]


async def test_post_message_records_threads_in_order_with_increasing_ts(client, emulator):
    first = await client.chat_postMessage(channel="C0SLO", text="budget low")
    second = await client.chat_postMessage(channel="#slo", text="budget gone")
    reply = await client.chat_postMessage(channel="C0SLO", text="why", thread_ts=first["ts"])
    nested = await client.chat_postMessage(channel="C0SLO", text="because", thread_ts=reply["ts"])

    assert [m.text for m in emulator.messages("C0SLO")] == ["budget low", "budget gone"]
    assert [m.text for m in emulator.replies("C0SLO", first["ts"])] == ["why", "because"]
    assert nested["message"]["thread_ts"] == first["ts"]
    stamps = [first["ts"], second["ts"], reply["ts"], nested["ts"]]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 4
    assert second["channel"] == "C0SLO"


async def test_more_than_50_blocks_is_invalid_blocks(client, emulator):
    await client.chat_postMessage(channel="C0GENERAL", text="ok", blocks=[_section("x")] * 50)
    refused = await _error(
        client.chat_postMessage(channel="C0GENERAL", text="no", blocks=[_section("x")] * 51)
    )

    assert refused.response["error"] == "invalid_blocks"
    assert "at most 50 items" in refused.response["response_metadata"]["messages"][0]
    assert [m.text for m in emulator.messages("C0GENERAL")] == ["ok"]
    assert len(emulator.violations) == 1


async def test_section_text_over_3000_chars_is_invalid_blocks(client, emulator):
    await client.chat_postMessage(channel="C0GENERAL", text="ok", blocks=[_section("a" * 3000)])
    refused = await _error(
        client.chat_postMessage(channel="C0GENERAL", text="no", blocks=[_section("a" * 3001)])
    )
    messages = refused.response["response_metadata"]["messages"]
    assert "must be less than 3001 characters [json-pointer:/blocks/0/text/text]" in messages
    assert "invalid_blocks" in emulator.violations[0]


async def test_broadcast_in_mrkdwn_is_flagged_but_not_in_plain_text_or_escaped(client, emulator):
    await client.chat_postMessage(
        channel="C0INCIDENTS", text="a", blocks=[_section("<!channel>", "plain_text")]
    )
    await client.chat_postMessage(
        channel="C0INCIDENTS", text="b", blocks=[_section("&lt;!channel&gt; db")]
    )
    assert emulator.violations == []

    await client.chat_postMessage(
        channel="C0INCIDENTS", text="c", blocks=[_section("hey <!channel|channel>")]
    )
    await client.chat_postMessage(
        channel="C0INCIDENTS",
        text="d",
        blocks=[
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "<!here>"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "cc <!everyone>"}]},
        ],
    )
    await client.chat_postMessage(channel="C0INCIDENTS", text="<!subteam^S0ONCALL|oncall> look")

    hits = [v.split("broadcast mention ")[1] for v in emulator.violations]
    assert hits == [
        "<!channel> at /blocks/0/text/text",
        "<!here> at /blocks/0/fields/0/text",
        "<!everyone> at /blocks/1/elements/0/text",
        "<!subteam^S0ONCALL> at /text",
    ]
    assert len(emulator.messages("C0INCIDENTS")) == 5  # Slack posts (and pings) anyway


async def test_allowed_usergroup_mention_is_not_a_violation(client, emulator):
    emulator.allow_mentions({"<!subteam^S0ONCALL>"})
    await client.chat_postMessage(channel="C0ONCALL", text="<!subteam^S0ONCALL|@oncall> page")
    await client.chat_postMessage(channel="C0ONCALL", text="<!here> page")
    assert len(emulator.violations) == 1
    assert "<!here>" in emulator.violations[0]


async def test_form_encoded_post_with_json_stringified_blocks(emulator):
    blocks = [_section("from a form")]
    async with aiohttp.ClientSession() as session:
        answer = await session.post(
            emulator.api_url + "chat.postMessage",
            data={"channel": "C0GENERAL", "text": "t", "blocks": json.dumps(blocks)},
            headers={"Authorization": f"Bearer {emulator.bot_token}"},
        )
        body = await answer.json()
    assert body["ok"] is True
    stored = emulator.message("C0GENERAL", body["ts"])
    assert stored.blocks[0]["text"]["text"] == "from a form"
    assert stored.blocks[0]["block_id"]  # Slack gives every block an id


async def test_unknown_method(client):
    refused = await _error(client.api_call("chat.frobnicate", json={"channel": "C0GENERAL"}))
    assert refused.response["error"] == "unknown_method"


async def test_update_keeps_history_and_unknown_ts_is_message_not_found(client, emulator):
    posted = await client.chat_postMessage(channel="C0INCIDENTS", text="SEV2 open")
    await client.chat_update(channel="C0INCIDENTS", ts=posted["ts"], text="SEV2 acknowledged")
    await client.chat_update(channel="C0INCIDENTS", ts=posted["ts"], text="SEV2 resolved")
    missing = await _error(client.chat_update(channel="C0INCIDENTS", ts="1.000001", text="x"))

    message = emulator.message("C0INCIDENTS", posted["ts"])
    assert message.text == "SEV2 resolved"
    assert [v.text for v in message.history] == ["SEV2 open", "SEV2 acknowledged"]
    assert missing.response["error"] == "message_not_found"


async def test_ephemeral_delete_permalink_reaction(client, emulator):
    posted = await client.chat_postMessage(channel="C0GENERAL", text="hi")
    await client.chat_postEphemeral(channel="C0GENERAL", user="U0CCC", text="just you")
    stranger = await _error(client.chat_postEphemeral(channel="C0GENERAL", user="U0ZZZ", text="x"))
    link = await client.chat_getPermalink(channel="C0GENERAL", message_ts=posted["ts"])
    await client.reactions_add(channel="C0GENERAL", timestamp=posted["ts"], name="eyes")
    twice = await _error(
        client.reactions_add(channel="C0GENERAL", timestamp=posted["ts"], name="eyes")
    )
    await client.chat_delete(channel="C0GENERAL", ts=posted["ts"])

    assert [e.text for e in emulator.ephemerals(user="U0CCC")] == ["just you"]
    assert stranger.response["error"] == "user_not_in_channel"
    assert link["permalink"].endswith("/archives/C0GENERAL/p" + posted["ts"].replace(".", ""))
    assert twice.response["error"] == "already_reacted"
    message = emulator.message("C0GENERAL", posted["ts"])
    assert message.deleted and message.reactions == {"eyes": ["U0ARTBOT"]}


async def test_directory_lookups_use_get_and_answer_slack_errors(client, emulator):
    channel = await client.conversations_info(channel="C0ONCALL")
    user = await client.users_info(user="U0AAA")
    nobody = await _error(client.users_info(user="U0NOBODY"))

    assert channel["channel"]["name"] == "oncall"
    assert user["user"]["profile"]["display_name"] == "Alice"
    assert nobody.response["error"] == "user_not_found"
    assert {c.http_method for c in emulator.calls} == {"GET"}


async def test_usergroup_members_can_change_but_not_to_nobody(client, emulator):
    before = await client.usergroups_users_list(usergroup="S0ONCALL")
    await client.usergroups_users_update(usergroup="S0ONCALL", users=["U0CCC", "U0DDD"])
    emptied = await _error(client.usergroups_users_update(usergroup="S0ONCALL", users=[]))

    assert before["users"] == ["U0AAA", "U0BBB"]
    assert emptied.response["error"] == "no_users_provided"
    assert emulator.usergroup_members("S0ONCALL") == ["U0CCC", "U0DDD"]


async def test_sandbox_json_exposes_messages_calls_and_violations(client, emulator):
    await client.chat_postMessage(channel="C0SLO", text="<!here> burn rate")
    async with aiohttp.ClientSession() as session:
        state = await (await session.get(emulator.url + "/_sandbox/state")).json()
        calls = await (await session.get(emulator.url + "/_sandbox/calls")).json()
        in_slo = await (await session.get(emulator.url + "/_sandbox/messages/C0SLO")).json()
    assert state["messages"]["C0SLO"][0]["text"] == "<!here> burn rate"
    assert [c["method"] for c in calls] == ["chat.postMessage"]
    assert in_slo[0]["channel"] == "C0SLO"
    assert "<!here>" in state["violations"][0]


async def test_wait_for_times_out_with_a_clear_assertion(emulator):
    with pytest.raises(AssertionError, match="waiting for a message in #slo"):
        await emulator.wait_for(
            lambda e: e.messages("C0SLO"), timeout=0.05, description="a message in #slo"
        )


async def test_text_over_40000_chars_is_truncated_and_flagged(client, emulator):
    posted = await client.chat_postMessage(channel="C0GENERAL", text="x" * 40_001)
    assert len(emulator.message("C0GENERAL", posted["ts"]).text) == 40_000
    assert "over Slack's 40000" in emulator.violations[0]
