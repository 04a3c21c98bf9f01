"""Each command loads what it uses: the incident commands without Slack read sre.yaml and
the database, and load no Slack, no web server, no HTTP client and no Alembic, whose imports
would cost a person most of a second at every command (bench/shell_latency.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Loaded only by the commands that use them: Slack, serving and scheduling them, the HTTP
# clients of the serving process and Prometheus, the other engine's driver, Alembic, and
# the other areas of the domain and their tables.
NOT_FOR_INCIDENTS = (
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "redis",
    "prometheus_client",
    "prometheus_api_client",
    "requests",
    "psycopg",
    "alembic",
    "storage.alerts",
    "storage.runbooks",
    "storage.inbox",
    "bot.app",
    "bot.alerts",
    "bot.oncall",
    "bot.runbooks",
    "bot.serving",
    "bot.slo.evaluation",
    "handlers",
    "scheduler",
)
PROGRAM = """
import json, sys
from bot.cli import main

def run(argv):
    try:
        return main(argv, json.loads(sys.argv[1]))
    except SystemExit as exit_:
        return exit_.code

codes = [run(argv) for argv in json.loads(sys.argv[2])]
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def _among(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in names))


def _run(environ: dict[str, str], *commands: list[str]) -> tuple[list[int], set[str]]:
    """Exit codes of ``commands`` run one after another in one fresh interpreter, and every
    module it had loaded at the end."""
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, json.dumps(environ), json.dumps(commands)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    report = json.loads(done.stdout.splitlines()[-1])
    return report["codes"], set(report["modules"])


def test_incident_commands_load_only_what_they_use(tmp_path: Path) -> None:
    environ = {"DATABASE_URL": f"sqlite:///{tmp_path}/sre.db", "SRE_CONFIG": str(REPO / "sre.yaml")}
    # The first command creates the schema (Alembic's work), as a first use does.
    codes, _ = _run(environ, ["incident", "list"])
    assert codes == [0]

    codes, loaded = _run(
        environ,
        ["incident", "create", "sev2", "Qwen", "down"],
        ["incident", "list"],
        ["incident", "report"],
    )

    assert codes == [0, 0, 0]
    assert _among(loaded, NOT_FOR_INCIDENTS) == []


def test_incident_list_on_sqlite_loads_no_database_layer(tmp_path: Path) -> None:
    """The everyday ``incident list`` reads the file with the standard library's driver:
    SQLAlchemy alone takes longer to import than the whole answer should."""
    environ = {"DATABASE_URL": f"sqlite:///{tmp_path}/sre.db", "SRE_CONFIG": str(REPO / "sre.yaml")}
    assert _run(environ, ["incident", "create", "sev2", "Qwen", "down"])[0] == [0]

    codes, loaded = _run(environ, ["incident", "list"], ["incident", "list", "--all"])

    assert codes == [0, 0]
    assert _among(loaded, ("sqlalchemy", "sqlmodel", "aiosqlite", "storage.db", "alembic")) == []


def test_serve_loads_neither_redis_nor_the_prometheus_client_until_they_are_used() -> None:
    """Every `serve` (and every bot process a test starts) would pay a quarter of a second
    for Redis (optional) and the Prometheus client with requests (asked only for SLOs)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, bot.serve, bot.app; print(json.dumps([*sys.modules]))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    loaded = set(json.loads(done.stdout))
    assert _among(loaded, ("redis", "prometheus_api_client", "requests")) == []


def test_help_loads_no_database_and_no_pydantic() -> None:
    codes, loaded = _run({}, ["--help"])
    assert codes == [0]
    assert _among(loaded, ("sqlalchemy", "pydantic", "bot.settings")) == []
