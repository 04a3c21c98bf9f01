"""How long ``python -m bot incident list`` takes on an empty SQLite database: the shell's
everyday answer, as a person waits for it.

Makes a fresh SQLite database in a temporary folder and runs the command once untimed (it
creates the schema, as a first use does, and warms the bytecode cache, as every run after an
install is), then N times as fresh subprocesses with the repository's sre.yaml, Python's own
start-up included; reports the median and the slowest, and the machine's load average, since
other work on the machine slows every run.

    .venv/bin/python -m bench.shell_latency --runs 21
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = ("incident", "list")
SRE_YAML = Path(__file__).resolve().parents[1] / "sre.yaml"


def seconds(environment: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *COMMAND], env=environment, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or done.stdout.strip() != "No incidents.":
        raise SystemExit(f"python -m bot incident list failed ({done.returncode}): {done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs (default 21)")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="artisan-shell-bench-") as folder:
        environment = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder}/artisan_sre.db",
            "SRE_CONFIG": str(SRE_YAML),
            "SLACK_BOT_TOKEN": "",
        }
        # A person's Python writes the bytecode cache at the first run; without it every
        # run would compile the project's modules again.
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        # The English answer it checks for, whatever this machine's locale says (a Korean one
        # reads the Korean catalogue, as fast: docs/benchmarks.md).
        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            environment.pop(name, None)
        seconds(environment)  # creates the schema; untimed
        load = os.getloadavg()[0]
        timings = [seconds(environment) for _ in range(runs)]
    print(
        f"python -m bot {' '.join(COMMAND)} (empty SQLite database): "
        f"median {statistics.median(timings):.3f} s, max {max(timings):.3f} s over {runs} runs "
        f"(load average {load:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
