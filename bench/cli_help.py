"""How long a person waits for ``python -m bot --help`` and ``python -m bot incident --help``.

Runs each as a fresh subprocess N times (Python's own start-up included, as a person or
shell completion pays it) and reports the median and the slowest.

    .venv/bin/python -m bench.cli_help --runs 21
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = (("--help",), ("incident", "--help"))


def seconds(args: tuple[str, ...]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", *args], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (default 21)")
    runs = parser.parse_args().runs
    seconds(("--help",))  # warm the bytecode cache, as every run after an install is
    for args in COMMANDS:
        timings = [seconds(args) for _ in range(runs)]
        print(
            f"python -m bot {' '.join(args)}: median {statistics.median(timings):.3f} s, "
            f"max {max(timings):.3f} s over {runs} runs"
        )


if __name__ == "__main__":
    main()
