"""The shipped deploy/ files run by a real Prometheus and a real Alertmanager (Debian's).

Each is started on a free loopback port from a copy of its file in ``deploy/`` where only
what a test must change is changed: the intervals (scrape and evaluation 1 s, every rule's
``for`` a few seconds, ``group_wait`` 1 s, ``group_interval`` 2 s) and the addresses (the
scraped serving process, the Alertmanagers, the bot's URL and its token file). Routes,
grouping, inhibit rules, expressions, labels and annotations are the shipped ones.

Several Alertmanagers share one workdir under their own names; each is unclustered unless
started with ``peers`` (then it gossips on its own ``cluster_port``, with the intervals
shortened so a pair settles and notices a dead peer within seconds).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.support.ports import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULE_FOR = "3s"


def _dump(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


class _Process:
    """One binary on a free port; ready once ``/-/ready`` answers 200."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def _start(self, command: list[str], *, ready_within: float = 30.0) -> None:
        with (self.workdir / f"{self.name}.log").open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready within {ready_within}s:\n{self.log_tail()}")

    @property
    def alive(self) -> bool:
        """Started, and neither stopped nor killed since."""
        return self._process is not None

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as answer:
            return json.load(answer)

    def metric(self, name: str) -> float:
        """The sum of every series of ``name`` on the process's own ``/metrics``."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as answer:
            lines = answer.read().decode().splitlines()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in lines
            if line.startswith((f"{name} ", f"{name}{{"))
        )

    def kill(self) -> None:
        """SIGKILL: no goodbye to the cluster, as a crashed machine."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, lines: int = 30) -> str:
        path = self.workdir / f"{self.name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Alertmanager(_Process):
    def __init__(self, workdir: Path, name: str = "alertmanager") -> None:
        super().__init__(name, workdir)
        self.cluster_port = free_port()

    @property
    def cluster_address(self) -> str:
        return f"127.0.0.1:{self.cluster_port}"

    def start(self, *, bot_url: str, token: str, peers: list[str] | None = None) -> str:
        """Unclustered, or in a cluster with ``peers`` (their ``cluster_address``)."""
        config = yaml.safe_load((DEPLOY / "alertmanager.yml").read_text(encoding="utf-8"))
        config["route"].update(group_wait="1s", group_interval="2s")
        token_file = self.workdir / "bot.token"
        token_file.write_text(token + "\n", encoding="utf-8")
        token_file.chmod(0o600)
        for receiver in config["receivers"]:
            for hook in receiver.get("webhook_configs", []):
                hook["url"] = f"{bot_url}/alertmanager"
                hook["http_config"]["authorization"]["credentials_file"] = str(token_file)
        path = _dump(self.workdir / f"{self.name}.yml", config)
        binary = shutil.which("prometheus-alertmanager") or "prometheus-alertmanager"
        for attempt in range(3):
            try:
                self._start_once(binary, path, peers)
                return self.url
            except RuntimeError as exc:
                # A free port found before the start can be taken by another test process
                # in between: pick new ones and start again.
                if "address already in use" not in str(exc) or attempt == 2:
                    raise
                self.port, self.cluster_port = free_port(), free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        return self.url

    def _start_once(self, binary: str, path: Path, peers: list[str] | None) -> None:
        if peers is None:
            cluster = ["--cluster.listen-address="]  # alone: no gossip port to collide
        else:
            cluster = [
                f"--cluster.listen-address={self.cluster_address}",
                *(f"--cluster.peer={peer}" for peer in peers),
                "--cluster.gossip-interval=100ms",
                "--cluster.pushpull-interval=1s",
                "--cluster.peer-timeout=3s",  # the second in line waits this long
                "--cluster.settle-timeout=10s",
            ]
        self._start(
            [
                binary,
                f"--config.file={path}",
                f"--storage.path={self.workdir / f'{self.name}-data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                *cluster,
            ]
        )

    def webhook_notifications(self) -> float:
        """Notifications this Alertmanager delivered to the bot (its counters: sent less
        failed)."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as answer:
            lines = answer.read().decode().splitlines()

        def total(metric: str) -> float:
            return sum(
                float(line.rsplit(" ", 1)[1])
                for line in lines
                if line.startswith(metric + "{") and 'integration="webhook"' in line
            )

        return total("alertmanager_notifications_total") - total(
            "alertmanager_notifications_failed_total"
        )

    def alerts(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get("/api/v2/alerts")
        return found

    def flushes(self) -> tuple[float, float]:
        """(groups flushed so far, groups now): every flush of a group that still holds an
        alert to notify looks it up in the notification log, whether it sends or not."""
        return (
            self.metric("alertmanager_nflog_queries_total"),
            self.metric("alertmanager_dispatcher_aggregation_groups"),
        )


class Prometheus(_Process):
    def __init__(self, workdir: Path) -> None:
        super().__init__("prometheus", workdir)

    def start(self, *, target: str, alertmanager: str | list[str]) -> str:
        """Scrape ``target`` (host:port) and alert ``alertmanager`` (its URL, or several:
        Prometheus then sends every alert to each, as to an HA pair)."""
        config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
        config["global"].update(scrape_interval="1s", evaluation_interval="1s")
        urls = [alertmanager] if isinstance(alertmanager, str) else alertmanager
        targets = [url.removeprefix("http://") for url in urls]
        config["alerting"]["alertmanagers"] = [{"static_configs": [{"targets": targets}]}]
        for job in config["scrape_configs"]:
            job["static_configs"] = [{"targets": [target]}]
        # rule_files stay as shipped (relative to the config), copied with `for` shortened.
        for relative in config["rule_files"]:
            rules = yaml.safe_load((DEPLOY / relative).read_text(encoding="utf-8"))
            for rule in (r for group in rules["groups"] for r in group["rules"]):
                if "for" in rule:
                    rule["for"] = RULE_FOR
            _dump(self.workdir / relative, rules)
        path = _dump(self.workdir / "prometheus.yml", config)
        binary = shutil.which("prometheus") or "prometheus"
        self._start(
            [
                binary,
                f"--config.file={path}",
                f"--storage.tsdb.path={self.workdir / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ]
        )
        return self.url

    def firing(self, alertname: str) -> list[dict[str, str]]:
        """Labels of the firing alerts named ``alertname``."""
        alerts = self.get("/api/v1/alerts")["data"]["alerts"]
        return [
            a["labels"]
            for a in alerts
            if a["labels"].get("alertname") == alertname and a["state"] == "firing"
        ]
