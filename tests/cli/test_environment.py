"""``bot.cli.main`` reads the environment it is given and nothing behind it, so the shell's
tests can run it in this process; a real process reads its own (test_shell_door.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.support.cli import invoke


@pytest.mark.engine
async def test_only_the_given_environment_is_read(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = f"sqlite:///{tmp_path}/elsewhere.db"
    code, out, err = await invoke(
        "incident", "create", '{"title": "Elsewhere"}', env=cli_env | {"DATABASE_URL": elsewhere}
    )
    assert code == 0, err
    broken = tmp_path / "broken.yaml"
    broken.write_text("timezone: Mars/Olympus\n")
    # What this process's environment says, and main must not hear: another database, a
    # policy file that would stop it, and a Slack token that would make it post.
    monkeypatch.setenv("DATABASE_URL", elsewhere)
    monkeypatch.setenv("SRE_CONFIG", str(broken))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-process")
    handlers = list(logging.getLogger().handlers)

    for _ in range(3):
        code, out, err = await invoke("incident", "list", "--json", env=cli_env)
        assert (code, json.loads(out)) == (0, []), err

    code, out, err = await invoke(
        "incident", "list", "--json", env=cli_env | {"DATABASE_URL": elsewhere}
    )
    assert code == 0, err
    assert [i["title"] for i in json.loads(out)] == ["Elsewhere"]
    # Each call set up logging as a process does; none of them is left behind.
    assert logging.getLogger().handlers == handlers
