"""``python -m bot`` as a person runs it (in this process): real database, Slack emulated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.slack import SlackEmulator
from tests.support.cli import invoke
from tests.support.config import CHANNELS_YAML

GUIDE_INCIDENT = json.dumps(
    {
        "title": "Qwen LLM Failure",
        "description": "Qwen model not responding to requests",
        "severity": "Sev2",
        "components": ["LLM", "Qwen"],
    }
)


async def test_create_prints_the_guide_lines(cli_env: dict[str, str]) -> None:
    code, out, _ = await invoke("incident", "create", GUIDE_INCIDENT, env=cli_env)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("🚨 Incident Created: INC-") and lines[0].endswith(" [Sev2]")
    assert lines[1:] == ["   Title: Qwen LLM Failure", "   Affected: LLM, Qwen"]


async def test_ack_show_list_report(cli_env: dict[str, str]) -> None:
    _, out, _ = await invoke("incident", "create", GUIDE_INCIDENT, env=cli_env)
    incident_id = out.split()[3]
    code, out, _ = await invoke("incident", "ack", incident_id, "--responder", "alice", env=cli_env)
    assert code == 0 and "Responder: alice" in out

    code, out, _ = await invoke("incident", "show", incident_id, "--json", env=cli_env)
    shown = json.loads(out)
    assert code == 0
    assert {
        "id",
        "title",
        "severity",
        "status",
        "components",
        "created_at",
        "acknowledged_by",
        "acknowledged_at",
        "root_cause",
        "resolution",
        "postmortem_url",
        "timeline",
    } <= shown.keys()
    assert shown["acknowledged_by"] == "alice" and shown["status"] == "acknowledged"
    assert [e["action"] for e in shown["timeline"]] == ["created", "acknowledged"]
    assert set(shown["timeline"][0]) == {"at", "actor", "action", "note"}

    code, out, _ = await invoke("incident", "list", "--json", env=cli_env)
    listed = json.loads(out)
    assert code == 0 and [i["id"] for i in listed] == [incident_id]
    assert listed[0]["timeline"] == shown["timeline"]

    code, out, _ = await invoke("incident", "report", env=cli_env)
    assert code == 0 and "Sev2:  1" in out and "MTTA (opened → acknowledged): median" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("incident", "create", "{not json"), 2, "incident create: json"),
        (("incident", "create", '{"title": "x", "severity": "Sev9"}'), 2, "Unknown severity"),
        (("incident", "create", '{"severity": "Sev2"}'), 2, "title: Field required"),
        (("incident", "create", '{"title": "  "}'), 2, "title: String should have at least 1"),
        (("incident", "ack", "INC-20990101-000000", "--responder", "bob"), 1, "No incident"),
        (("incident", "show", "nonsense"), 2, "not an incident ID"),
    ],
)
async def test_bad_input_exits_non_zero_with_a_message(
    cli_env: dict[str, str], args: tuple[str, ...], code: int, message: str
) -> None:
    returned, _, err = await invoke(*args, env=cli_env)
    assert returned == code
    assert message in err
    _, listed, _ = await invoke("incident", "list", "--json", env=cli_env)
    assert json.loads(listed) == []


async def test_serve_without_credentials_names_the_missing_variables(
    cli_env: dict[str, str],
) -> None:
    code, _, err = await invoke("serve", env=cli_env)
    assert code != 0
    assert "SLACK_BOT_TOKEN" in err and "SLACK_SIGNING_SECRET" in err


async def test_bad_configuration_names_the_key(cli_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text("incidents:\n  ack_reminder_every: soon\nchannels:\n  incidents: general\n")
    code, _, err = await invoke("incident", "list", env={**cli_env, "SRE_CONFIG": str(config)})
    assert code != 0
    assert "incidents.ack_reminder_every: invalid duration 'soon'" in err
    assert "channels.incidents: 'general' is not a Slack channel ID" in err


async def test_with_slack_configured_the_cli_posts_and_updates_the_card(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text(CHANNELS_YAML)
    async with SlackEmulator() as emulator:
        env = {
            **cli_env,
            "SLACK_BOT_TOKEN": emulator.bot_token,
            "SLACK_API_URL": emulator.api_url,
            "SRE_CONFIG": str(config),
        }
        code, _, err = await invoke("incident", "list", env={**env, "SRE_CONFIG": "absent.yaml"})
        assert code == 2 and "absent.yaml: no such file" in err  # it could not say where to post
        _, out, _ = await invoke("incident", "create", GUIDE_INCIDENT, env=env)
        incident_id = out.split()[3]
        cards = emulator.messages("C0INCIDENTS")
        assert len(cards) == 1 and incident_id in str(cards[0].blocks)
        await invoke("incident", "ack", incident_id, "--responder", "alice", env=env)
        card = emulator.message("C0INCIDENTS", cards[0].ts)
        assert card.history and "alice" in str(card.blocks)
        assert emulator.violations == []


async def test_oncall_now_from_the_shell(cli_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text("oncall:\n  weekday: [U0AAA, U0BBB]\n  weekend: [U0DDD]\n")
    code, out, _ = await invoke("oncall", "now", env={**cli_env, "SRE_CONFIG": str(config)})
    assert code == 0
    assert "Paged now:" in out and "Weekend on-call:  U0DDD" in out
    config.write_text("timezone: Asia/Seoul\n")
    code, _, err = await invoke("oncall", "now", env={**cli_env, "SRE_CONFIG": str(config)})
    assert code == 2 and "No rotation is configured" in err  # a configuration mistake


async def test_the_handoff_is_previewed_from_a_shell_without_slack(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text("oncall:\n  weekday: [U0AAA, U0BBB]\n  weekend: [U0DDD]\n")
    env = {**cli_env, "SRE_CONFIG": str(config)}
    slow = json.dumps({"title": "Slow search", "severity": "Sev3"})
    code, out, _ = await invoke("incident", "create", slow, env=env)
    assert code == 0, out
    incident_id = out.split()[3]

    code, out, err = await invoke("oncall", "handoff", "--preview", env=env)

    assert code == 0, err
    assert out.startswith("On-call handoff · Fri ")
    assert "Weekend: U0DDD → U0DDD" in out and "Weekday: U0" in out
    assert f"{incident_id} Sev3 open Slow search · unacknowledged" in out
    assert "Last shift:" in out and "SLO status:" in out
    assert "[ ] VPN access works" in out
    # Without --preview there is nowhere to post: refused, and told how to see it here.
    code, out, err = await invoke("oncall", "handoff", env=env)
    assert (code, out) == (1, "")
    assert "nothing was posted" in err and "`python -m bot oncall handoff --preview`" in err


async def test_explain_says_who_opened_it_and_that_nothing_joined(
    cli_env: dict[str, str],
) -> None:
    code, out, err = await invoke("incident", "create", "sev3", "Search is slow", env=cli_env)
    assert code == 0, err
    incident_id = out.split()[3]
    code, out, err = await invoke("incident", "explain", incident_id, env=cli_env)
    assert code == 0, err
    assert out.splitlines()[1:] == [
        out.splitlines()[1].split(" UTC")[0] + " UTC by cli (by hand)",
        "   Nothing joined it since.",
    ]
    code, _, err = await invoke("incident", "explain", "INC-19990101-000000", env=cli_env)
    assert code != 0 and "No incident INC-19990101-000000" in err
