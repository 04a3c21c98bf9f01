"""A running ``python -m bot demo`` (a real process, its own session) and real Chromium.

Screenshots go to ``$SANDBOX_SCREENSHOTS`` or ``.ci-artifacts/sandbox`` in the checkout;
``.ci/run`` prints that path at the end of a run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support.ports import free_port

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SANDBOX_SCREENSHOTS", PROJECT / ".ci-artifacts" / "sandbox"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def page_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_sandbox/demo", timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def session_processes(session_id: int) -> list[str]:
    """Processes still alive in a session (zombies count as gone), as ``pid command``."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        # fields after the command's closing parenthesis: state ppid pgrp session …
        state, _ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
        if int(session) == session_id and state != "Z":
            alive.append(f"{entry.name} {cmdline}")
    return alive


def from_a_terminal() -> None:
    """In the child before it runs: Ctrl-C's default, as a terminal's foreground job has it.
    A suite run in the background (CI's, ``cmd &``) ignores SIGINT, and its children inherit
    that: a Python that starts ignoring it keeps ignoring it until it sets a handler itself."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group."""
    os.killpg(process.pid, signal.SIGINT)


def wait_until_gone(session_id: int, within: float) -> list[str]:
    deadline = time.monotonic() + within
    left = session_processes(session_id)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = session_processes(session_id)
    return left


@dataclass
class Demo:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_demo(tmp: Path, *, env: dict[str, str] | None = None, wait: float = 60.0) -> Demo:
    port = free_port()
    log_path = tmp / "demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo"],
            cwd=tmp,
            env={**os.environ, **(env or {}), "PORT": str(port)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=from_a_terminal,
        )
    demo = Demo(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + wait
    while not page_answers(demo.url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_demo(demo)
            raise AssertionError(f"the demo's page did not come up:\n{demo.log()}")
        time.sleep(0.2)
    return demo


def stop_demo(demo: Demo) -> list[str]:
    """Ctrl-C; returns whatever of its session is still alive 10 s later (then killed)."""
    if demo.process.poll() is None:
        interrupt(demo.process)
    left = wait_until_gone(demo.process.pid, within=10)
    if left:
        os.killpg(demo.process.pid, signal.SIGKILL)
    demo.process.wait(timeout=10)
    return left


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One demo for a module's tests, its folder under a path with a space (as a home
    folder may be), which the banner's shell line must survive being pasted with."""
    folder = tmp_path_factory.mktemp("demo")
    (folder / "tmp dir").mkdir()
    running = start_demo(folder, env={"TMPDIR": str(folder / "tmp dir")})
    yield running
    left = stop_demo(running)
    assert not left, f"still running 10 s after Ctrl-C: {left}"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not installed (.ci/run installs it)"
    launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-US", timezone_id="UTC"
    )
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the screenshots are, so a CI run's log points at its artifacts."""
    taken = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if taken:
        terminalreporter.write_line(f"sandbox page screenshots ({len(taken)}): {SCREENSHOTS}")
