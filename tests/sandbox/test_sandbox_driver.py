"""SlackDriver against a real bolt AsyncApp over loopback HTTP; the app's Web API calls go
to the emulator. Key sets are compared with the saved real payloads in tests/fixtures."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from sandbox.slack import SlackDriver, SlackEmulator

TRIGGER_ID = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
FORM = "application/x-www-form-urlencoded"


async def _hello_card(driver: SlackDriver, emulator: SlackEmulator) -> str:
    """Run /hello in #incidents and return the ts of the card the app posts."""
    await driver.slash("/hello", "hi", user="U0AAA", channel="C0INCIDENTS")
    messages = await emulator.wait_for(lambda e: e.messages("C0INCIDENTS"))
    return messages[0].ts


async def _wave_modal(driver: SlackDriver, emulator: SlackEmulator) -> str:
    ts = await _hello_card(driver, emulator)
    await driver.click(channel="C0INCIDENTS", ts=ts, action_id="wave", user="U0BBB")
    views = await emulator.wait_for(lambda e: e.views)
    return views[0].id


async def test_slash_command_reaches_bolt_with_slacks_field_set(
    driver, emulator, tiny_app, slack_fixture
):
    response = await driver.slash("/hello", "hi there", user="U0AAA", channel="C0INCIDENTS")

    assert response.status == 200
    assert response.text == "hi <@U0AAA>"
    assert response.elapsed < 2.5
    body = tiny_app.bodies[0]
    for fixture in (
        "slackapi__bolt-python__test_slash_command__slash_command_body.json",
        "slackapi__java-slack-sdk__app-backend_slash-commands_SlashCommandPayload.json",
    ):
        assert set(body) >= set(slack_fixture(fixture)), fixture
    socket_mode = slack_fixture(
        "slackapi__python-slack-sdk__socket_mode_envelope_0_slash_commands.json"
    )
    assert set(body) >= set(socket_mode["payload"])
    assert body["command"] == "/hello"
    assert body["text"] == "hi there"
    assert body["channel_name"] == "incidents"
    assert body["is_enterprise_install"] == "false"
    assert body["response_url"] == response.response_url
    assert response.response_url.startswith(emulator.url + "/response/")
    assert TRIGGER_ID.match(body["trigger_id"])
    messages = await emulator.wait_for(lambda e: e.messages("C0INCIDENTS"))
    assert emulator.buttons("C0INCIDENTS", messages[0].ts) == [("wave", "w1", "Wave")]
    assert [c.ok for c in emulator.calls_to("auth.test")] == [True]


async def test_bolt_rejects_forged_stale_and_unsigned_requests(driver, tiny_app):
    fields = driver.payloads.slash_command("/hello", "x", user="U0AAA", channel="C0GENERAL")
    body = urlencode(fields).encode()
    now = str(int(time.time()))
    stale = str(int(time.time()) - 360)
    future = str(int(time.time()) + 360)
    wrong_secret = SignatureVerifier("not-the-secret").generate_signature(timestamp=now, body=body)

    genuine = await driver.send_raw(
        body, content_type=FORM, timestamp=now, signature=driver.sign(body, now)
    )
    forged = [
        await driver.send_raw(
            body + b"&x=1", content_type=FORM, timestamp=now, signature=driver.sign(body, now)
        ),
        await driver.send_raw(body, content_type=FORM, timestamp=now, signature=wrong_secret),
        await driver.send_raw(
            body, content_type=FORM, timestamp=stale, signature=driver.sign(body, stale)
        ),
        await driver.send_raw(
            body, content_type=FORM, timestamp=future, signature=driver.sign(body, future)
        ),
        await driver.send_raw(body, content_type=FORM, timestamp=now, signature=None),
        await driver.send_raw(
            body, content_type=FORM, timestamp=None, signature=driver.sign(body, now)
        ),
    ]

    assert genuine.status == 200
    assert [r.status for r in forged] == [401] * 6
    assert all(r.json() == {"error": "invalid request"} for r in forged)
    assert len(tiny_app.bodies) == 1  # only the genuine request reached the listener


async def test_driver_clock_skew_makes_a_stale_request(emulator, tiny_app, signing_secret):
    async with SlackDriver(
        app_url=tiny_app.url,
        signing_secret=signing_secret,
        emulator=emulator,
        clock_skew_seconds=-360,
    ) as late:
        response = await late.slash("/hello", "x", user="U0AAA")
    assert response.status == 401
    assert tiny_app.bodies == []


async def test_click_replaces_the_card_through_response_url_and_opens_a_modal(
    driver, emulator, tiny_app, slack_fixture
):
    ts = await _hello_card(driver, emulator)

    response = await driver.click(channel="C0INCIDENTS", ts=ts, action_id="wave", user="U0BBB")

    assert response.status == 200
    real = slack_fixture(
        "slackapi__bolt-python__test_block_actions_respond__inline_2_block_actions.json"
    )
    sent = response.payload
    assert set(sent) >= set(real)
    for key in ("container", "message", "channel", "team", "user"):
        assert set(sent[key]) >= set(real[key]), key
    assert set(sent["actions"][0]) >= set(real["actions"][0])
    received = tiny_app.bodies[-1]
    assert received["actions"][0]["value"] == "w1"
    assert received["message"]["ts"] == ts
    card = await emulator.wait_for(
        lambda e: e.message("C0INCIDENTS", ts).edited and e.message("C0INCIDENTS", ts)
    )
    assert card.text == "Waved by <@U0BBB>"
    assert card.history[0].text == "Hello"
    assert emulator.responses(response.response_url)[0].body["replace_original"] is True
    views = await emulator.wait_for(lambda e: e.views)
    assert (views[0].callback_id, views[0].private_metadata, views[0].user) == (
        "wave_modal",
        ts,
        "U0BBB",
    )


async def test_view_submission_shows_errors_then_closes(driver, emulator, slack_fixture):
    view_id = await _wave_modal(driver, emulator)
    blank = {"reason": {"reason_input": {"type": "plain_text_input", "value": "  "}}}

    refused = await driver.submit_view(view_id=view_id, values=blank, user="U0BBB")

    assert refused.json() == {"response_action": "errors", "errors": {"reason": "Say why"}}
    assert emulator.view(view_id).errors == {"reason": "Say why"}
    assert not emulator.view(view_id).closed
    real = slack_fixture("slackapi__bolt-python__test_view_submission__body.json")
    assert set(refused.payload) >= set(real)
    assert set(refused.payload["view"]) >= set(real["view"])
    assert refused.payload["view"]["state"]["values"] == blank

    filled = {"reason": {"reason_input": {"type": "plain_text_input", "value": "db is back"}}}
    accepted = await driver.submit_view(view_id=view_id, values=filled, user="U0BBB")

    assert (accepted.status, accepted.text) == (200, "")
    assert emulator.view(view_id).closed


async def test_submit_view_refuses_values_for_blocks_the_modal_lacks(driver, emulator):
    view_id = await _wave_modal(driver, emulator)
    with pytest.raises(LookupError, match="no input block 'nope'"):
        await driver.submit_view(view_id=view_id, values={"nope": {"x": {}}}, user="U0BBB")


async def test_click_on_a_missing_button_names_the_buttons_there(driver, emulator):
    ts = await _hello_card(driver, emulator)
    with pytest.raises(LookupError, match=r"\('wave', 'w1'\)"):
        await driver.click(channel="C0INCIDENTS", ts=ts, action_id="nope", user="U0BBB")


async def test_event_callback_envelope_reaches_the_event_listener(
    driver, emulator, tiny_app, slack_fixture
):
    said = emulator.add_user_message(channel="C0INCIDENTS", user="U0AAA", text="<@U0ARTBOT> hi")

    response = await driver.event(
        {
            "type": "app_mention",
            "user": "U0AAA",
            "text": said.text,
            "channel": "C0INCIDENTS",
            "ts": said.ts,
        }
    )

    assert (response.status, response.text) == (200, "")
    for fixture in (
        "slackapi__bolt-python__test_block_actions_respond__inline_1_event_callback.json",
        "slackapi__bolt-python__test_events__app_mention_body.json",
    ):
        assert set(response.payload) >= set(slack_fixture(fixture)), fixture
    replies = await emulator.wait_for(lambda e: e.replies("C0INCIDENTS", said.ts))
    assert replies[0].text == "yes?"
    assert tiny_app.bodies[0]["event_id"] == response.payload["event_id"]
    assert emulator.violations == []
