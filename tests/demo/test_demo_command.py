"""``python -m bot demo`` as a person starts it: without Prometheus, on a taken port, and
from a fresh clone with the README's first command."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.demo.conftest import (
    PROJECT,
    free_port,
    from_a_terminal,
    interrupt,
    page_answers,
    start_demo,
    stop_demo,
    wait_until_gone,
)

# The promise: the page within 120 s of the README's command on a fresh clone,
# install included. A slower machine may say how long it allows. The promise is about a
# person's machine, not one shared with five other test workers (there, on 2 cores, the
# install alone once took over 120 s), so the test is marked `alone`: .ci/run runs it by
# itself after the parallel suite.
INSTALL_BUDGET = float(os.environ.get("DEMO_INSTALL_BUDGET_SECONDS", "120"))


def readme_first_command() -> str:
    """The first line of the README's first ``bash`` block."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```bash\n(.+?)\n", readme)
    assert found, "the README has no bash block"
    return found.group(1).strip()


def test_without_prometheus_the_page_says_how_to_get_it_and_slos_cannot_tell(
    tmp_path: Path, page: Page
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    demo = start_demo(tmp_path, env={"PATH": str(empty)})  # no prometheus to be found
    try:
        assert "Prometheus is not installed" in demo.log()
        page.goto(demo.url)
        expect(page.locator("#prometheus")).to_contain_text("apt-get install prometheus")
        page.click("[data-channel='C0SLO']")
        page.locator("#composer").fill("/slo check")
        page.locator("#composer").press("Enter")
        expect(page.locator("#messages")).to_contain_text(
            "cannot tell whether deployments are safe", timeout=15_000
        )
    finally:
        left = stop_demo(demo)
    assert not left, f"still running 10 s after Ctrl-C: {left}"


def test_a_taken_port_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bot", "demo"],
            cwd=tmp_path,
            env={**os.environ, "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in done.stdout
    assert "set PORT to a free port" in done.stdout


@pytest.mark.alone
def test_a_fresh_clone_runs_the_readme_command_and_ctrl_c_leaves_nothing(tmp_path: Path) -> None:
    command = readme_first_command()
    assert command.endswith("-m bot demo"), command
    head = subprocess.run(
        ["git", "-C", str(PROJECT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    clone = tmp_path / "artisan-sre"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-checkout", str(PROJECT), str(clone)], check=True
    )
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", head], check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"PORT": str(port)}
    log_path = tmp_path / "readme-command.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        shell = subprocess.Popen(
            ["bash", "-c", command],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=from_a_terminal,
        )
    try:
        while not page_answers(url):
            waited = time.monotonic() - started
            if shell.poll() is not None or waited > INSTALL_BUDGET:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise AssertionError(f"no page after {waited:.0f} s:\n{tail}")
            time.sleep(0.5)
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert "<title>Artisan SRE bot" in answer.read().decode()
        interrupt(shell)
        left = wait_until_gone(shell.pid, within=10)
        assert not left, f"still running 10 s after Ctrl-C: {left}"
        assert "nothing left running" in log_path.read_text(errors="replace")
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, 9)
            shell.wait()
