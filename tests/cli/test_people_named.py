"""The shell names people by their display names, not their Slack IDs (issue 19, "People by
name"): sre.yaml's ``people:`` without Slack, ``users.info`` with it, the ID when neither
knows them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.slack import SlackEmulator
from tests.support.cli import invoke
from tests.support.config import CHANNELS_YAML

ROTATION = "oncall:\n  weekday: [U0AAA, U0BBB]\n  weekend: [U0DDD]\n"
PEOPLE = "people:\n  U0AAA: Minji Kim\n  U0BBB: Joon Park\n  U0CCC: Seo-yeon Choi\n"
NAMED = ("U0AAA", "U0BBB", "U0CCC")  # in the map; U0DDD is not, and stays an ID


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "sre.yaml"
    config.write_text(ROTATION + PEOPLE)
    return {**cli_env, "SRE_CONFIG": str(config)}


async def _incident(env: dict[str, str]) -> str:
    spec = json.dumps({"title": "Qwen down", "severity": "Sev2"})
    code, out, err = await invoke("incident", "create", spec, env=env)
    assert code == 0, err
    incident_id = out.split()[3]
    code, out, err = await invoke("incident", "ack", incident_id, "--responder", "U0CCC", env=env)
    assert code == 0 and "Responder: Seo-yeon Choi" in out, err
    return incident_id


async def test_incident_list_and_show_name_people(env: dict[str, str]) -> None:
    incident_id = await _incident(env)
    await invoke("incident", "note", incident_id, "paged", "U0BBB", "--actor", "U0AAA", env=env)

    code, listed, _ = await invoke("incident", "list", env=env)
    assert code == 0 and "Seo-yeon Choi" in listed
    code, shown, _ = await invoke("incident", "show", incident_id, env=env)
    assert code == 0
    assert "Acknowledged: Seo-yeon Choi" in shown
    assert "note by Minji Kim — paged Joon Park" in shown
    for text in (listed, shown):
        assert not [user for user in NAMED if user in text], text
    # The JSON is for scripts: it keeps the IDs they join on.
    _, raw, _ = await invoke("incident", "show", incident_id, "--json", env=env)
    assert json.loads(raw)["acknowledged_by"] == "U0CCC"


async def test_the_shell_draft_names_people_and_speaks_the_shell(env: dict[str, str]) -> None:
    incident_id = await _incident(env)
    await invoke("incident", "resolve", incident_id, "rolled", "back", "--actor", "U0BBB", env=env)

    code, draft, err = await invoke("incident", "postmortem", incident_id, env=env)

    assert code == 0, err
    assert "acknowledged by Seo-yeon Choi" in draft and "resolved by Joon Park" in draft
    assert not [user for user in NAMED if user in draft], draft
    assert f'`python -m bot incident rootcause {incident_id} "<what caused it>"` sets it' in draft
    assert "/incident" not in draft


@pytest.mark.parametrize(
    "command",
    [
        ("oncall", "now"),
        ("oncall", "schedule"),
        ("oncall", "report"),
        ("oncall", "handoff", "--preview"),
    ],
)
async def test_oncall_commands_name_people(env: dict[str, str], command: tuple[str, ...]) -> None:
    await _incident(env)  # an acknowledged incident: the handoff names its owner

    code, out, err = await invoke(*command, env=env)

    assert code == 0, err
    assert not [user for user in NAMED if user in out], out
    if command[-1] in ("now", "schedule", "--preview"):
        assert "Minji Kim" in out or "Joon Park" in out
        assert "U0DDD" in out  # nobody knows a name for them: the ID, not nothing


async def test_with_slack_the_shell_asks_slack_for_names(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text(CHANNELS_YAML + "people:\n  U0CCC: Seo-yeon Choi\n")
    async with SlackEmulator() as emulator:
        env = {
            **cli_env,
            "SLACK_BOT_TOKEN": emulator.bot_token,
            "SLACK_API_URL": emulator.api_url,
            "SRE_CONFIG": str(config),
        }
        incident_id = await _incident(env)  # sre.yaml's name wins over Slack's "Carol"
        await invoke("incident", "note", incident_id, "seen", "--actor", "U0BBB", env=env)

        code, shown, err = await invoke("incident", "show", incident_id, env=env)

    assert code == 0, err
    assert "Acknowledged: Seo-yeon Choi" in shown and "note by Bob" in shown
    assert not [user for user in NAMED if user in shown], shown
