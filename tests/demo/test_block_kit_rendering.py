"""Every Block Kit block and element the bot sends today renders in the sandbox page.

The builders of ``handlers/blocks`` are walked (``blockkit_walk``) and their output is
rendered by the page's own script in real Chromium: an unknown block or element type, or a
builder the walk forgot, fails here before a person meets a grey box on the page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from sandbox.demo.page import STATIC
from tests.demo.blockkit_walk import LANGUAGES, builders, types_in, walk

RENDER = """(blocks) => {
  const node = BlockKit.renderBlocks(blocks, {users: {U0AAA: "Alice"}, channels: {}, now: new Date()});
  document.body.replaceChildren(node);
  return {
    unknown: [...node.querySelectorAll(".bk-unknown")].map((e) => e.textContent),
    rendered: node.children.length,
  };
}"""


@pytest.fixture
def renderer(page: Page) -> Page:
    """A blank page with only the sandbox page's renderers loaded."""
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(STATIC / "mrkdwn.js"))
    page.add_script_tag(path=str(STATIC / "blocks.js"))
    return page


def test_the_walk_calls_every_builder_in_handlers_blocks() -> None:
    missing = builders() - set(walk())
    assert not missing, f"add these builders to tests/demo/blockkit_walk.py: {sorted(missing)}"


def test_every_block_and_element_the_bot_sends_renders(renderer: Page) -> None:
    known: dict[str, list[str]] = renderer.evaluate("() => BlockKit.KNOWN")
    problems: list[str] = []
    for words in LANGUAGES:
        problems += _unrendered(renderer, known, walk(words))
    assert not problems, "\n".join(problems)


def _unrendered(
    renderer: Page, known: dict[str, list[str]], walked: dict[str, list[Any]]
) -> list[str]:
    problems: list[str] = []
    for builder, outputs in walked.items():
        for blocks in outputs:
            block_types, nested_types = types_in(blocks)
            for kind, found, allowed in (
                ("block", block_types, known["blocks"]),
                ("element", nested_types, known["elements"]),
            ):
                problems += [f"{builder}: unknown {kind} type {t!r}" for t in found - set(allowed)]
            result: dict[str, Any] = renderer.evaluate(RENDER, blocks)
            problems += [f"{builder}: {text}" for text in result["unknown"]]
            if result["rendered"] != len(blocks):
                problems.append(f"{builder}: {len(blocks)} blocks, {result['rendered']} shown")
    return problems


def test_a_title_typed_by_a_person_stays_text(renderer: Page) -> None:
    card = next(
        blocks
        for blocks in walk()["incident_card"]
        if "Checkout errors" in str(blocks) and "incident_ack" in str(blocks)
    )
    renderer.evaluate(RENDER, card)
    body = renderer.locator("body")
    assert "Checkout errors <!channel> & more" in body.inner_text()
    assert renderer.locator(".mention.broadcast").count() == 0  # pings nobody
    forged = [{"type": "section", "text": {"type": "mrkdwn", "text": "&lt;img src=x&gt; *b*"}}]
    renderer.evaluate(RENDER, forged)
    assert renderer.locator("body img").count() == 0
    assert body.inner_text().strip() == "<img src=x> b"
    assert renderer.locator("body b").inner_text() == "b"


def test_mrkdwn_renders_as_slack_shows_it(renderer: Page) -> None:
    text = (
        "*bold* _in italics_ ~struck~ `code` <https://example.com/pm|the postmortem> "
        "<@U0AAA> <#C0ONCALL|oncall> <!subteam^S0ONCALL> snake_case_name "
        "<!date^1760437800^{date_short} {time}|2025-10-14 10:30 UTC>\n```a <b> block```"
    )
    renderer.evaluate(RENDER, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
    shown = renderer.locator(".mrkdwn")
    assert shown.locator("b").inner_text() == "bold"
    assert shown.locator("i").inner_text() == "in italics"
    assert shown.locator("s").inner_text() == "struck"
    assert shown.locator("code").inner_text() == "code"
    link = shown.locator("a")
    assert link.inner_text() == "the postmortem"
    assert link.get_attribute("href") == "https://example.com/pm"
    assert shown.locator(".mention").all_inner_texts() == ["@Alice", "#oncall", "@S0ONCALL"]
    assert "snake_case_name" in shown.inner_text()  # underscores inside a word stay
    assert re.fullmatch(r"\w{3} \d{1,2}, 2025 \d\d:\d\d", shown.locator("time").inner_text())
    assert shown.locator("pre").inner_text() == "a <b> block"
