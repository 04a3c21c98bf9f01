"""Block Kit limit checks and mention scanning, as pure functions."""

from __future__ import annotations

import pytest

from sandbox.slack.blockkit import message_problems, parse_blocks_arg, view_problems
from sandbox.slack.mentions import find_mentions, normalise
from sandbox.slack.records import ApiError


def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "header", "text": _plain("h" * 151)}, "less than 151 characters"),
        ({"type": "section", "fields": [_mrkdwn("f")] * 11}, "/blocks/0/fields]"),
        ({"type": "section", "fields": [_mrkdwn("f" * 2001)]}, "/blocks/0/fields/0/text]"),
        ({"type": "context", "elements": [_mrkdwn("c")] * 11}, "/blocks/0/elements]"),
        ({"type": "section", "text": _mrkdwn("")}, "more than 0 characters"),
        ({"type": "no_such_block"}, "unsupported type 'no_such_block'"),
        (
            {
                "type": "actions",
                "elements": [{"type": "button", "action_id": "a", "text": _plain("b" * 76)}],
            },
            "cannot exceed 75 characters",  # caught by the SDK's nested to_dict() validation
        ),
    ],
)
def test_limits_slack_enforces(block, expected):
    problems = message_problems([block])
    assert any(expected in p for p in problems), problems


def test_blocks_at_the_limits_pass():
    blocks = [
        {"type": "header", "text": _plain("h" * 150)},
        {"type": "section", "fields": [_mrkdwn("f" * 2000)] * 10},
        {"type": "context", "elements": [_mrkdwn("c")] * 10},
        {"type": "section", "text": _mrkdwn("s" * 3000)},
    ]
    assert message_problems(blocks) == []


def test_modal_labels_and_block_count():
    modal = {
        "type": "modal",
        "title": _plain("t" * 25),
        "submit": _plain("s" * 25),
        "close": _plain("ok"),
        "blocks": [{"type": "divider"}] * 101,
    }
    problems = view_problems(modal)
    assert any("/view/title/text" in p for p in problems)
    assert any("/view/submit/text" in p for p in problems)
    assert any("at most 100 items" in p for p in problems)
    assert view_problems({**modal, "title": _plain("t"), "submit": _plain("s"), "blocks": []}) == []


def test_blocks_argument_must_be_an_array_of_objects():
    assert parse_blocks_arg('[{"type": "divider"}]') == [{"type": "divider"}]
    with pytest.raises(ApiError) as caught:
        parse_blocks_arg('{"type": "divider"}')
    assert caught.value.error == "invalid_blocks_format"


def test_mentions_in_nested_mrkdwn_and_rich_text_are_found():
    blocks = [
        {"type": "section", "text": _plain("<!channel>"), "accessory": {"type": "image"}},
        {"type": "context", "elements": [_mrkdwn("&lt;!here&gt; and <!here|here>")]},
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "broadcast", "range": "everyone"},
                        {"type": "usergroup", "usergroup_id": "S0ONCALL"},
                    ],
                }
            ],
        },
    ]
    found = [(m.token, m.pointer) for m in find_mentions(text=None, blocks=blocks)]
    assert found == [
        ("<!here>", "/blocks/1/elements/0/text"),
        ("<!everyone>", "/blocks/2/elements/0/elements/0"),
        ("<!subteam^S0ONCALL>", "/blocks/2/elements/0/elements/1"),
    ]


def test_top_level_text_is_not_scanned_when_mrkdwn_is_off():
    assert find_mentions(text="<!channel>", blocks=None, text_is_mrkdwn=False) == []
    assert [m.token for m in find_mentions(text="<!channel>", blocks=None)] == ["<!channel>"]
    assert normalise("<!subteam^S0ONCALL|@oncall>") == "<!subteam^S0ONCALL>"
