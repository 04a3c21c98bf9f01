"""Prometheus for the demo, when the machine has it: it scrapes the stand-in so SLOs are real.

Started with ``subprocess.Popen`` before the event loop (and its threads) exist, so the
child can safely ask the kernel to stop it when the demo dies, even by SIGKILL
(``PR_SET_PDEATHSIG``): Ctrl-C or a crash leaves no Prometheus behind.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import shutil
import signal
import socket
import subprocess
from contextlib import suppress
from pathlib import Path

import aiohttp

log = logging.getLogger(__name__)

HOW_TO_GET = (
    "Prometheus is not installed, so every SLO answers “cannot tell”. "
    "On Debian or Ubuntu: `sudo apt-get install prometheus`, then start the demo again."
)
SCRAPE_EVERY = "5s"
_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    # Not Linux: no prctl, and Ctrl-C still stops it through the demo's own shutdown.
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DemoPrometheus:
    """One Prometheus process scraping ``target`` (host:port), its data in ``workdir``."""

    def __init__(self, process: subprocess.Popen[bytes], *, url: str, workdir: Path) -> None:
        self.process = process
        self.url = url
        self.workdir = workdir

    @classmethod
    def start(cls, *, workdir: Path, target: str) -> DemoPrometheus | None:
        """Start it if ``prometheus`` is on PATH; None (and the demo says why) otherwise."""
        binary = shutil.which("prometheus")
        if binary is None:
            return None
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n"
            f"  scrape_interval: {SCRAPE_EVERY}\n"
            f"  evaluation_interval: {SCRAPE_EVERY}\n"
            "scrape_configs:\n"
            "  - job_name: artisan-serving-standin\n"
            f"    static_configs: [{{targets: ['{target}']}}]\n",
            encoding="utf-8",
        )
        port = free_port()
        with (workdir / "prometheus.log").open("wb") as out:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    "--storage.tsdb.retention.time=2d",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # safe: started before any thread exists
            )
        return cls(process, url=f"http://127.0.0.1:{port}", workdir=workdir)

    async def wait_ready(self, within: float = 20.0) -> bool:
        """True once ``/-/ready`` answers 200; False if it exits or takes longer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
            while loop.time() < deadline and self.process.poll() is None:
                try:
                    async with session.get(f"{self.url}/-/ready") as answer:
                        if answer.status == 200:
                            return True
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.2)
        log.warning("Prometheus did not become ready; see %s", self.workdir / "prometheus.log")
        return False

    def stop(self, within: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it has not gone within ``within`` seconds."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
