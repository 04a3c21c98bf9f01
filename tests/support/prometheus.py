"""A real Prometheus over generated history, for end-to-end tests (no pytest needed).

``OpenMetricsHistory`` collects counters, gauges and histograms with timestamped samples and
writes them as OpenMetrics; ``Scrapes`` builds one from expositions read at chosen instants
(a process's ``/metrics`` over simulated time); ``PrometheusServer`` turns them into TSDB
blocks with ``promtool tsdb create-blocks-from openmetrics`` and serves them.

promtool 2.42 re-parses its whole input once per 2-hour block it writes, so a month in one
file takes minutes; the history is therefore written as one file per 12 hours (aligned to
block boundaries, so no blocks overlap) and the files are converted in parallel. Prometheus
runs with min = max block duration, so it never starts compacting under the tests.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TextIO

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample as Exposed

from tests.support.ports import free_port

Sample = tuple[int, float]
"""(unix seconds, value)"""
HistogramPoint = tuple[int, Mapping[str, float], float]
"""(unix seconds, cumulative count per ``le`` spelling incl. "+Inf", sum)"""

BLOCK_SECONDS = 2 * 3600
CHUNK_SECONDS = 6 * BLOCK_SECONDS


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def format_labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    escaped = (
        (k, v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
        for k, v in labels.items()
    )
    return "{" + ",".join(f'{k}="{v}"' for k, v in escaped) + "}"


@dataclass
class _Family:
    name: str
    kind: str  # counter | gauge | histogram
    lines: list[Iterable[tuple[int, str]]]  # lazily produced (timestamp, "name{labels} value")


class OpenMetricsHistory:
    """Series with timestamps; each series' samples must be in ascending time order."""

    def __init__(self) -> None:
        self._families: dict[str, _Family] = {}

    def counter(self, family: str, labels: Mapping[str, str], samples: Iterable[Sample]) -> None:
        """A counter series, exposed as ``<family>_total``."""
        series = f"{family}_total{format_labels(labels)}"
        self._family(family, "counter").lines.append(
            (ts, f"{series} {format_value(v)} {ts}") for ts, v in samples
        )

    def gauge(self, name: str, labels: Mapping[str, str], samples: Iterable[Sample]) -> None:
        series = f"{name}{format_labels(labels)}"
        self._family(name, "gauge").lines.append(
            (ts, f"{series} {format_value(v)} {ts}") for ts, v in samples
        )

    def histogram(
        self, family: str, labels: Mapping[str, str], points: Iterable[HistogramPoint]
    ) -> None:
        """``_bucket`` per ``le``, ``_count`` (= the +Inf bucket) and ``_sum`` series."""
        self._family(family, "histogram").lines.append(
            self._histogram_lines(family, labels, points)
        )

    @staticmethod
    def _histogram_lines(
        family: str, labels: Mapping[str, str], points: Iterable[HistogramPoint]
    ) -> Iterator[tuple[int, str]]:
        # Within one timestamp the order is bucket…, count, sum; across series the backfill
        # only needs each series ascending, which holds as points are ascending.
        plain = format_labels(labels)
        for ts, buckets, total in points:
            for le, value in buckets.items():
                bucket_labels = format_labels({**labels, "le": le})
                yield ts, f"{family}_bucket{bucket_labels} {format_value(value)} {ts}"
            yield ts, f"{family}_count{plain} {format_value(buckets['+Inf'])} {ts}"
            yield ts, f"{family}_sum{plain} {format_value(total)} {ts}"

    def _family(self, name: str, kind: str) -> _Family:
        family = self._families.setdefault(name, _Family(name, kind, []))
        if family.kind != kind:
            raise ValueError(f"{name} is already a {family.kind}")
        return family

    def write(self, directory: Path) -> list[Path]:
        """One OpenMetrics file per 12 hours of samples; the series generators are consumed."""
        directory.mkdir(parents=True, exist_ok=True)
        files: dict[int, TextIO] = {}
        current: dict[int, str] = {}
        try:
            for family in self._families.values():
                for series in family.lines:
                    for ts, line in series:
                        chunk = ts // CHUNK_SECONDS
                        out = files.get(chunk)
                        if out is None:
                            path = directory / f"history-{chunk:08d}.om"
                            out = files[chunk] = path.open("w", encoding="utf-8")
                        if current.get(chunk) != family.name:
                            out.write(f"# TYPE {family.name} {family.kind}\n")
                            current[chunk] = family.name
                        out.write(line + "\n")
        finally:
            for out in files.values():
                out.write("# EOF\n")
                out.close()
        return sorted(Path(out.name) for out in files.values())


Labels = tuple[tuple[str, str], ...]


class Scrapes:
    """Text expositions read at chosen instants, kept as Prometheus would have stored its
    scrapes of them (``_created`` series left out: no query reads them)."""

    def __init__(self) -> None:
        self._plain: dict[tuple[str, str, Labels], list[Sample]] = defaultdict(list)
        self._histograms: dict[tuple[str, Labels], list[HistogramPoint]] = defaultdict(list)

    def scrape(self, exposition: str, *, at: int) -> None:
        """One scrape at unix second ``at``; scrapes must come in ascending time."""
        for family in text_string_to_metric_families(exposition):
            if family.type == "histogram":
                self._histogram(family.name, family.samples, at)
            elif family.type in ("counter", "gauge") and not family.name.endswith("_created"):
                for sample in family.samples:
                    if sample.name.endswith("_created"):
                        continue
                    key = (family.name, family.type, tuple(sorted(sample.labels.items())))
                    self._plain[key].append((at, sample.value))

    def _histogram(self, name: str, samples: Iterable[Exposed], at: int) -> None:
        buckets: dict[Labels, dict[str, float]] = defaultdict(dict)
        sums: dict[Labels, float] = {}
        for sample in samples:
            labels = dict(sample.labels)
            le = labels.pop("le", None)
            series = tuple(sorted(labels.items()))
            if sample.name == f"{name}_bucket" and le is not None:
                buckets[series][le] = sample.value
            elif sample.name == f"{name}_sum":
                sums[series] = sample.value
        for series, counts in buckets.items():
            self._histograms[(name, series)].append((at, counts, sums.get(series, 0.0)))

    def history(self) -> OpenMetricsHistory:
        history = OpenMetricsHistory()
        for (name, kind, labels), samples in self._plain.items():
            if kind == "counter":
                history.counter(name, dict(labels), samples)
            else:
                history.gauge(name, dict(labels), samples)
        for (name, labels), points in self._histograms.items():
            history.histogram(name, dict(labels), points)
        return history


class PrometheusServer:
    """One Prometheus process over a TSDB directory; use as a context manager."""

    def __init__(
        self,
        workdir: Path,
        *,
        prometheus: str = "prometheus",
        promtool: str = "promtool",
    ) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self._prometheus = shutil.which(prometheus) or prometheus
        self._promtool = shutil.which(promtool) or promtool
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0

    @property
    def url(self) -> str:
        if self._process is None:
            raise RuntimeError("Prometheus is not running")
        return f"http://127.0.0.1:{self._port}"

    def backfill(self, history: OpenMetricsHistory, *, cache: Path | None = None) -> None:
        """Write the history and turn it into TSDB blocks under ``data_dir``.

        With ``cache`` (a directory shared by every test process and run), the blocks of a
        history already converted, by this or another process, are copied instead: promtool
        spends about 14 CPU-seconds on the SLO tests' month, once per run rather than once
        per worker. The key is the OpenMetrics text itself, so a changed history converts
        afresh."""
        files = history.write(self.workdir / "openmetrics")
        if cache is None:
            self._convert(files, self.data_dir)
            return
        digest = hashlib.sha256()
        for path in sorted(files):
            digest.update(path.read_bytes())
        blocks = cache / digest.hexdigest()[:24]
        with (cache / f"{blocks.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process converts; the others wait, then copy
            if not blocks.is_dir():
                building = cache / f"{blocks.name}.building"
                shutil.rmtree(building, ignore_errors=True)
                self._convert(files, building)
                building.rename(blocks)
        shutil.copytree(blocks, self.data_dir, dirs_exist_ok=True)

    def _convert(self, files: list[Path], into: Path) -> None:
        into.mkdir(parents=True, exist_ok=True)

        def convert(path: Path) -> None:
            command = [self._promtool, "tsdb", "create-blocks-from", "openmetrics", "-q"]
            done = subprocess.run(
                [*command, str(path), str(into)], capture_output=True, check=False
            )
            if done.returncode != 0:
                stderr = done.stderr.decode(errors="replace")
                raise RuntimeError(f"promtool failed on {path.name}: {stderr}")

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(convert, files))

    def start(self, *, ready_within: float = 30.0) -> str:
        """Start Prometheus with no scrape targets; return its URL once ``/-/ready`` answers."""
        config = self.workdir / "prometheus.yml"
        config.write_text("global:\n  evaluation_interval: 1m\n", encoding="utf-8")
        self._port = free_port()
        log = (self.workdir / "prometheus.log").open("wb")
        self._process = subprocess.Popen(
            [
                self._prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.data_dir}",
                "--storage.tsdb.retention.time=100y",
                "--storage.tsdb.min-block-duration=2h",
                "--storage.tsdb.max-block-duration=2h",
                f"--web.listen-address=127.0.0.1:{self._port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Prometheus exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return self.url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Prometheus not ready within {ready_within}s:\n{self.log_tail()}")

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

    def log_tail(self, lines: int = 20) -> str:
        path = self.workdir / "prometheus.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> PrometheusServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
