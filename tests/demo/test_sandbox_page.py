"""The sandbox page of a running ``python -m bot demo``, in real Chromium, as a person uses it.

The tests share one demo and run in order, like one person's session: declare and
acknowledge, the form, the shell on the demo's database, a reminder after skipping time, a
rollback with four-eyes approval, an SLO asked after the skips, then the handoff, the digest
and the drill (which move the clock days ahead). Screenshots are saved on the way
(``conftest.SCREENSHOTS``); ``SANDBOX_README_SCREENSHOT=path`` also saves the README's
picture there.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.demo.conftest import Demo

ALICE, BOB, CAROL = "U0AAA", "U0BBB", "U0CCC"
WAIT = 15_000  # ms: a click is a signed request, a handler and an update pushed to the page


def open_page(page: Page, demo: Demo) -> None:
    page.goto(demo.url)
    expect(page.locator("#person option")).not_to_have_count(0, timeout=WAIT)


def say(page: Page, line: str) -> None:
    """Type ``line`` key by key into the composer, as a person does, and send it."""
    composer = page.locator("#composer")
    composer.press_sequentially(line)
    composer.press("Enter")
    expect(composer).to_have_value("", timeout=WAIT)


def be(page: Page, user: str) -> None:
    page.select_option("#person", user)


def card(page: Page, title: str) -> Locator:
    """The incident card (not the private "Declared …" reply) whose title is ``title``."""
    return (
        page.locator("#messages .message:not(.ephemeral)")
        .filter(has=page.locator(".bk-header", has_text="INC-"))
        .filter(has_text=title)
    )


def shoot(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"))


def test_declare_then_acknowledge_as_someone_else(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    open_page(page, demo)
    page.locator("#composer").press_sequentially("/inc")
    offered = page.locator("#suggestions .suggestion-text")
    expect(offered.first).to_have_text("/incident create sev2 ")  # the bot's commands
    page.locator("#composer").fill("")
    say(page, "/incident create sev2 Checkout errors")
    declared = card(page, "Checkout errors")
    expect(declared.locator(".bk-header")).to_contain_text("Sev2", timeout=WAIT)
    expect(declared.locator(".bk-field").first).to_contain_text("Open")
    expect(declared.get_by_role("button", name="Acknowledge")).to_be_visible()
    expect(page.locator(".message.ephemeral", has_text="Declared")).to_contain_text(
        "Only visible to you"
    )
    shoot(page, screenshots, "01-incident-card")

    be(page, BOB)
    declared.get_by_role("button", name="Acknowledge").click()
    expect(declared.locator(".bk-field").first).to_contain_text("Acknowledged", timeout=WAIT)
    expect(declared).to_contain_text("@Bob after")
    expect(declared.locator(".edited")).to_be_visible()  # updated in place, not reposted
    expect(card(page, "Checkout errors")).to_have_count(1)
    shoot(page, screenshots, "02-acknowledged")

    # The card keeps only what is left to do; Carol, too late, types the command instead
    # and is told privately who was first.
    expect(declared.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(declared.get_by_role("button", name="Resolve")).to_be_visible()
    incident_id = re.findall(r"INC-[0-9-]+", declared.locator(".bk-header").inner_text())[0]
    be(page, CAROL)
    say(page, f"/incident ack {incident_id}")
    too_late = page.locator(".message.ephemeral", has_text="already acknowledged")
    expect(too_late).to_be_visible(timeout=WAIT)
    shoot(page, screenshots, "03-someone-else-was-first")
    be(page, ALICE)
    expect(too_late).to_have_count(0)


def test_the_create_form_insists_on_a_title_then_declares(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    open_page(page, demo)
    say(page, "/incident create")
    modal = page.locator("#modal")
    expect(modal).to_be_visible(timeout=WAIT)
    expect(page.locator("#modal-title")).to_have_text("Declare an incident")
    page.click("#modal-submit")
    title = modal.locator(".bk-input-block[data-block-id='title']")
    expect(title.locator(".bk-error")).to_contain_text("required")
    title.locator("input").fill("Payments webhook timeouts")
    modal.locator(".bk-input-block[data-block-id='severity'] select").select_option("sev1")
    modal.locator(".bk-input-block[data-block-id='components'] input").fill("payments, api")
    shoot(page, screenshots, "04-create-form")
    page.click("#modal-submit")
    expect(modal).to_be_hidden(timeout=WAIT)
    declared = card(page, "Payments webhook timeouts")
    expect(declared.locator(".bk-header")).to_contain_text("Sev1", timeout=WAIT)
    expect(declared).to_contain_text("payments, api")


def test_the_banners_shell_line_lists_the_incidents_declared_on_the_page(
    demo: Demo, tmp_path: Path
) -> None:
    (line,) = [row.strip() for row in demo.log().splitlines() if "DATABASE_URL=" in row]
    assert line.endswith("-m bot incident list")
    assert "tmp dir" in line  # the demo's folder has a space: the line quotes it
    listed = subprocess.run(  # pasted into a terminal somewhere else
        ["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert "Checkout errors" in listed.stdout
    assert "Payments webhook timeouts" in listed.stdout


def test_skipping_15_minutes_brings_the_reminder_into_the_thread(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    open_page(page, demo)
    say(page, "/incident create sev3 Search is slow")
    second = card(page, "Search is slow")
    expect(second).to_have_count(1, timeout=WAIT)
    expect(second.locator(".thread-link")).to_have_count(0)
    page.click("[data-skip='15m']")
    expect(page.locator("#clock-offset")).to_contain_text("15m ahead", timeout=WAIT)
    second.locator(".thread-link").click(timeout=WAIT)
    thread = page.locator("#thread")
    reminder = thread.locator(".message", has_text="is still unacknowledged after 15m")
    expect(reminder).to_contain_text("Search is slow", timeout=WAIT)
    expect(thread).not_to_contain_text("Checkout errors")  # acknowledged: no reminder
    expect(thread.get_by_role("button", name="Acknowledge")).to_have_count(2)
    shoot(page, screenshots, "05-reminder-in-thread")
    readme = os.environ.get("SANDBOX_README_SCREENSHOT")
    if readme:
        page.screenshot(path=readme)
    # Acknowledged from the reminder: it says who took it, and nothing asks any more.
    be(page, CAROL)
    reminder.get_by_role("button", name="Acknowledge").click()
    answered = thread.locator(".message", has_text="⏰ Reminder: ✅")
    expect(answered).to_contain_text("acknowledged by @Carol after 15m", timeout=WAIT)
    expect(thread.get_by_role("button", name="Acknowledge")).to_have_count(0)
    shoot(page, screenshots, "05b-reminder-answered")
    be(page, ALICE)


def test_the_rollback_waits_for_a_second_approver(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    open_page(page, demo)
    page.click("[data-fault='reward_runaway']")
    expect(page.locator("#faults-active")).to_contain_text("reward running away", timeout=WAIT)
    say(page, "/runbook run rl_reward_runaway_rollback")
    run = page.locator("#messages .message:not(.ephemeral)").filter(
        has=page.locator(".bk-header", has_text="rl_reward_runaway_rollback")
    )
    approve = run.get_by_role("button", name="Approve")
    expect(approve).to_be_visible(timeout=WAIT)
    expect(run).to_contain_text("Approval needed from @Bob @Dave")
    shoot(page, screenshots, "06-rollback-waits-for-approval")

    approve.click()  # Alice asked for it: she may not approve it herself
    expect(page.locator(".message.ephemeral", has_text="cannot approve")).to_be_visible(
        timeout=WAIT
    )
    expect(approve).to_be_visible()

    be(page, BOB)
    approve.click()
    expect(run).to_contain_text(re.compile(r"State\s+succeeded"), timeout=WAIT)
    expect(run.get_by_role("button", name="Approve")).to_have_count(0)
    expect(run).to_contain_text("POST ")  # the rollback call it made, shown on the run
    shoot(page, screenshots, "07-rollback-approved")


def test_breaking_qwen_downshifts_creative_and_opens_a_sev2(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    open_page(page, demo)
    page.click("[data-fault='qwen_down']")
    expect(page.locator("#faults-active")).to_contain_text("qwen down", timeout=WAIT)
    for ahead in ("30m", "45m", "1h"):  # each skip runs a tick, and so a health probe
        page.click("[data-skip='15m']")
        expect(page.locator("#clock-offset")).to_contain_text(ahead, timeout=WAIT)
    page.click("[data-channel='C0ONCALL']")
    run = page.locator("#messages .message").filter(
        has=page.locator(".bk-header", has_text="qwen_failure_downshift"), has_not_text="dry run"
    )
    expect(run).to_contain_text(re.compile(r"State\s+succeeded"), timeout=45_000)
    expect(run).to_contain_text("Serve creative with balanced")
    shoot(page, screenshots, "08-qwen-downshift")
    page.click("[data-channel='C0INCIDENTS']")
    expect(card(page, "Qwen LLM failure").locator(".bk-header")).to_contain_text("Sev2")

    page.click("[data-fault='slow_creative']")
    expect(page.locator("#faults-active")).to_contain_text("creative +3s", timeout=WAIT)
    page.click("[data-fault='clear']")
    expect(page.locator("#faults-active")).to_have_text("No fault injected.", timeout=WAIT)


def test_an_slo_asked_after_the_skips_is_read_where_prometheus_has_data_and_says_so(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    open_page(page, demo)
    expect(page.locator("#clock-offset")).to_contain_text("1h ahead", timeout=WAIT)
    expect(page.locator("#prometheus")).to_contain_text("SLO answers are read there")
    page.click("[data-channel='C0SLO']")
    say(page, "/slo llm_creative_latency")
    answer = page.locator(".message.ephemeral", has_text="llm_creative_latency")
    expect(answer).to_contain_text("Prometheus's latest data (the bot's clock reads", timeout=WAIT)
    shoot(page, screenshots, "09-slo-read-where-the-data-is")


def test_the_handoff_and_the_digest_arrive_when_their_time_comes(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    open_page(page, demo)
    page.click("[data-skip='handoff']")
    expect(page.locator("#clock-offset")).to_contain_text("Fri 17:00", timeout=WAIT)
    page.click("[data-channel='C0ONCALL']")
    handoff = page.locator("#messages .message").filter(
        has=page.locator(".bk-header", has_text="On-call handoff")
    )
    # Qwen is still broken from the downshift test: the skip's ticks probe it, each probe
    # waiting out its timeout, before the handoff is due and posted.
    expect(handoff).to_have_count(1, timeout=45_000)
    expect(handoff).to_contain_text("Search is slow")  # open incidents are handed over
    expect(handoff.get_by_role("button", name="I've got it")).to_be_visible()
    shoot(page, screenshots, "10-handoff")

    page.click("[data-skip='digest']")
    page.click("[data-channel='C0SLO']")
    digest = page.locator("#messages .message").filter(
        has=page.locator(".bk-header", has_text="SLO digest")
    )
    expect(digest).to_have_count(1, timeout=45_000)
    digest.locator(".thread-link").click(timeout=WAIT)
    chart = page.locator("#thread .file img")
    expect(chart).to_be_visible(timeout=WAIT)
    chart.evaluate("img => img.decode()")
    assert chart.evaluate("img => img.naturalWidth") > 100, "the budget chart did not load"
    shoot(page, screenshots, "11-slo-digest-and-chart")

    page.click("[data-skip='drill']")  # the monthly drill comes only when asked for
    page.click("[data-channel='C0ONCALL']")
    # The summary, not a dry run whose page text names "the monthly runbook drill" as its start.
    drill = page.locator("#messages .message", has_text=re.compile(r"Monthly runbook drill \(dry"))
    expect(drill).to_have_count(1, timeout=45_000)
    expect(drill).to_contain_text("nothing changed")
    shoot(page, screenshots, "12-runbook-drill")
