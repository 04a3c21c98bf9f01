"""What every ``python -m bot`` a test runs starts from: a test database, no Slack."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    environment = {"DATABASE_URL": database_url, "SRE_CONFIG": str(tmp_path / "absent.yaml")}
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "REDIS_URL"):
        environment[name] = ""
    return environment
