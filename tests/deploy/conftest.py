"""The shipped Prometheus and Alertmanager files in ``deploy/``."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def run_tool(*command: str, cwd: Path = DEPLOY) -> subprocess.CompletedProcess[str]:
    """A Debian binary (promtool, amtool) as CI and an operator run it, from ``deploy/``."""
    return subprocess.run(list(command), capture_output=True, text=True, check=False, cwd=cwd)
