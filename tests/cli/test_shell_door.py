"""The shell is a first-class door: an incident finished, a runbook run followed and
stopped, hints spelled for the shell, and one exit code per kind of mistake.

The shell's behaviour runs in this process (``invoke``); what only a real ``python -m bot``
shows (its exit code, --help, tab completion, its own environment) runs as a process.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from bot.commands.arguments import HEALTH_MODELS
from bot.serving.models import MODELS
from sandbox.serving.standin import StandinState
from sandbox.slack import SlackEmulator
from tests.serving.conftest import running_standin
from tests.support.cli import invoke, run_cli
from tests.support.config import CHANNELS_YAML
from tests.support.ports import free_port

SEV2 = json.dumps({"title": "Qwen down", "severity": "Sev2", "components": ["Qwen"]})

ASK_FIRST = """\
runbooks:
  approvers: [U0AAA]
  definitions:
    - name: ask_first
      description: Ask an approver, then tell the on-call.
      target: qwen
      steps:
        - {id: approve, type: approval, title: Approve it}
        - {id: tell, type: notify, title: Tell the on-call, text: approved}
"""


async def _create(env: dict[str, str]) -> str:
    code, out, _ = await invoke("incident", "create", SEV2, env=env)
    assert code == 0
    return out.split()[3]


async def test_an_incident_is_run_to_its_end_from_the_shell(cli_env: dict[str, str]) -> None:
    incident_id = await _create(cli_env)

    async def cli(*args: str) -> tuple[int, str, str]:
        return await invoke("incident", *args, env=cli_env)

    code, _, err = await cli("close", incident_id)
    assert code == 1
    assert (
        f'Resolve it first: `python -m bot incident resolve {incident_id} "<what fixed it>"`' in err
    )
    assert (await cli("status", incident_id, "mitigated", "rolled", "back", "--actor", "alice"))[
        :2
    ] == (0, f"{incident_id} is now mitigated.\n")
    assert (await cli("note", incident_id, "dashboards green", "--actor", "bob"))[0] == 0
    assert (await cli("rootcause", incident_id, "a bad deploy", "--responder", "bob"))[0] == 0
    assert (await cli("sev", incident_id, "SEV1"))[:2] == (0, f"{incident_id} is now Sev1.\n")
    code, out, _ = await cli("resolve", incident_id, "restarted", "the", "pods", "--actor", "alice")
    assert code == 0
    assert out.startswith(f"✅ {incident_id} resolved. Sev1 needs a postmortem: ")
    assert f"`python -m bot incident postmortem {incident_id}`" in out
    code, _, err = await cli("close", incident_id)
    assert code == 1 and f'`python -m bot incident postmortem {incident_id} "<url>"`' in err
    code, out, _ = await cli("postmortem", incident_id)
    assert code == 0 and out.startswith(f"# Postmortem: {incident_id} — Qwen down")
    assert "a bad deploy" in out and "restarted the pods" in out
    assert (await cli("postmortem", incident_id, "https://wiki.example/pm-1"))[0] == 0
    assert (await cli("close", incident_id, "--actor", "carol"))[:2] == (
        0,
        f"📁 {incident_id} closed.\n",
    )

    shown = json.loads((await cli("show", incident_id, "--json"))[1])
    assert shown["status"] == "closed" and shown["severity"] == "Sev1"
    assert shown["root_cause"] == "a bad deploy" and shown["resolution"] == "restarted the pods"
    assert [(e["action"], e["actor"], e["note"]) for e in shown["timeline"]] == [
        ("created", "cli", "Sev2: Qwen down"),
        ("acknowledged", "alice", ""),
        ("status → mitigated", "alice", "rolled back"),
        ("note", "bob", "dashboards green"),
        ("root cause", "bob", "a bad deploy"),
        ("severity changed", "cli", "Sev2 → Sev1"),
        ("status → resolved", "alice", "restarted the pods"),
        ("postmortem", "cli", "https://wiki.example/pm-1"),
        ("closed", "carol", ""),
    ]


async def test_bad_input_to_each_verb_exits_2_and_changes_nothing(
    cli_env: dict[str, str],
) -> None:
    incident_id = await _create(cli_env)
    cases: list[tuple[tuple[str, ...], str]] = [
        (("status", incident_id, "fixed"), "invalid choice: 'fixed'"),
        (("status", incident_id, "resolved"), f'python -m bot incident resolve {incident_id} "<'),
        (("status", "INC-1", "mitigated"), "'INC-1' is not an incident ID"),
        (("sev", incident_id, "sev9"), "invalid choice: 'sev9'"),
        (("note", incident_id), "the following arguments are required: TEXT"),
        (("note", incident_id, "   "), "note"),
        (("rootcause", "nonsense", "why"), "not an incident ID"),
        (("resolve", incident_id), "the following arguments are required: RESOLUTION"),
        (("close",), "the following arguments are required: INC-ID"),
        (("postmortem", incident_id, "wiki page"), "is not a link to a postmortem"),
    ]
    for args, message in cases:
        code, out, err = await invoke("incident", *args, env=cli_env)
        assert (code, out) == (2, ""), (args, err)
        assert message in err, (args, err)
    code, _, err = await invoke("incident", "resolve", "INC-20990101-000000", "x", env=cli_env)
    assert (
        code == 1 and "No incident INC-20990101-000000 exists. `python -m bot incident list`" in err
    )
    shown = json.loads((await invoke("incident", "show", incident_id, "--json", env=cli_env))[1])
    assert shown["status"] == "open" and shown["severity"] == "Sev2"
    assert [e["action"] for e in shown["timeline"]] == ["created"]


async def test_an_approval_runbook_needs_slack_and_is_followed_and_cancelled_from_the_shell(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text(CHANNELS_YAML + ASK_FIRST)
    env = {**cli_env, "SRE_CONFIG": str(config)}
    code, out, err = await invoke("runbook", "execute", "ask_first", env=env)
    assert (code, out) == (1, "")
    assert "without Slack (SLACK_BOT_TOKEN) nobody could approve it" in err
    assert "`python -m bot runbook execute ask_first --dry-run`" in err

    async with SlackEmulator() as emulator:
        env |= {"SLACK_BOT_TOKEN": emulator.bot_token, "SLACK_API_URL": emulator.api_url}
        # Started now, so the refusal above left no run and no lock behind.
        code, out, err = await invoke("runbook", "execute", "ask_first", env=env)
        assert code == 0, err
        run_id = next(word for word in out.split() if word.startswith("RUN-"))
        assert f"`python -m bot runbook status {run_id}` shows where it is" in out
        assert len(emulator.messages("C0ONCALL")) == 1  # the approval message, posted
        code, out, _ = await invoke("runbook", "status", run_id, env=env)
        assert code == 0 and run_id in out and "approv" in out.lower()
        code, out, _ = await invoke("runbook", "cancel", run_id, "--reason", "not now", env=env)
        assert code == 0 and "cancel" in out.lower()
        code, _, err = await invoke("runbook", "cancel", run_id, env=env)
        assert code == 1 and run_id in err
    code, _, err = await invoke("runbook", "status", "nonsense", env=env)
    assert code == 2 and "is not a run ID" in err


async def test_help_is_written_for_a_person() -> None:
    code, out, _ = await run_cli("--help", env={})
    assert code == 0 and "``" not in out and "Exit codes:" in out
    code, out, _ = await run_cli("incident", "--help", env={})
    verbs = "create ack status sev note rootcause resolve close postmortem show explain list report"
    listed = [
        line.split()[0] for line in out.splitlines() if line[:4] == "    " and line[4:5].isalpha()
    ]
    assert code == 0 and listed == verbs.split()
    code, _, err = await run_cli("frobnicate", env={})
    assert code == 2 and "invalid choice: 'frobnicate'" in err


async def test_a_real_process_reads_its_environment_and_exits_by_kind(
    cli_env: dict[str, str],
) -> None:
    code, out, err = await run_cli("incident", "create", SEV2, env=cli_env)
    assert code == 0, err
    incident_id = out.split()[3]
    code, out, _ = await run_cli("incident", "list", "--json", env=cli_env)
    assert code == 0 and [i["id"] for i in json.loads(out)] == [incident_id]
    # Refused by the state: 1; not understood: 2.
    code, _, err = await run_cli(
        "incident", "ack", "INC-20990101-000000", "--actor", "bob", env=cli_env
    )
    assert code == 1 and "No incident INC-20990101-000000 exists" in err
    code, _, err = await run_cli(
        "incident", "create", '{"title": "x", "severity": "Sev9"}', env=cli_env
    )
    assert code == 2 and "Unknown severity 'Sev9'" in err


async def _completions(line: str, tmp_path: Path) -> list[str]:
    """What the shell offers for ``line`` (ending where the cursor is), as argcomplete's
    bash hook asks ``artisan-sre`` for it."""
    answer = tmp_path / "completions.txt"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env={
            **os.environ,
            "_ARGCOMPLETE": "1",
            "_ARGCOMPLETE_IFS": "\n",
            "COMP_LINE": line,
            "COMP_POINT": str(len(line)),
            "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
        },
    )
    assert await process.wait() == 0
    return answer.read_text().split()


async def test_tab_completion_offers_both_dialects(tmp_path: Path) -> None:
    assert {"run", "execute"} <= set(await _completions("artisan-sre runbook ", tmp_path))
    assert await _completions("artisan-sre runbook r", tmp_path) == ["run"]
    offered = await _completions("artisan-sre incident create ", tmp_path)
    assert {"sev1", "sev2", "sev3", "sev4"} <= set(offered)
    assert not {"sev1", "sev2"} & set(
        await _completions("artisan-sre incident create sev2 ", tmp_path)
    )


def test_health_offers_the_serving_models() -> None:
    assert HEALTH_MODELS == MODELS


async def test_a_check_that_cannot_read_fails_the_run_and_the_command(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text(CHANNELS_YAML + "runbooks:\n  approvers: [U0AAA]\n")
    nobody = f"http://127.0.0.1:{free_port()}"
    async with SlackEmulator() as emulator:
        env = cli_env | {
            "SRE_CONFIG": str(config),
            "SERVING_URL": nobody,
            "SLACK_BOT_TOKEN": emulator.bot_token,
            "SLACK_API_URL": emulator.api_url,
        }
        for runbook in ("rl_reward_runaway_rollback", "api_high_latency_scaleup"):
            code, out, err = await invoke("runbook", "execute", runbook, env=env)

            assert code == 1, (out, err)
            assert ": failed" in out.splitlines()[0]
            assert "cannot be read never passes, so the run ends failed" in out
            assert "succeeded" not in out
        # In Slack too: each run's message says failed, and nobody was asked to approve.
        posted = emulator.messages("C0ONCALL")
        assert [m.text.rsplit(": ", 1)[1] for m in posted] == ["failed", "failed"]
        assert "runbook_approve" not in json.dumps([m.blocks for m in posted])

        code, out, _ = await invoke(
            "runbook", "execute", "rl_reward_runaway_rollback", "--dry-run", env=env
        )
        assert code == 1
        assert "dry run: nothing was changed; Confirm the current checkpoint" in out
        assert "cannot be read now" in out


async def test_health_exits_by_what_the_models_can_do(cli_env: dict[str, str]) -> None:
    async with running_standin(StandinState(seed=7)) as standin:
        env = cli_env | {"SERVING_URL": standin.url}
        code, out, _ = await invoke("health", env=env)
        assert code == 0 and json.loads(out)["unhealthy_count"] == 0

        await standin.faults(model_down="qwen")
        code, out, err = await invoke("health", env=env)
        assert code == 1 and json.loads(out)["models"]["qwen"] == "unhealthy"
        assert "cannot serve: qwen" in err
        code, out, _ = await invoke("health", "qwen", env=env)
        assert code == 1 and json.loads(out)["inference_ready"] is False
        code, out, _ = await invoke("health", "mistral", env=env)
        assert code == 0 and json.loads(out)["model_name"] == "mistral"

        # A hung server: one read, reported once the client's timeout has passed.
        await standin.faults(hang_seconds=30, route="/health/llm/all")
        code, out, err = await invoke("health", env=env | {"SERVING_TIMEOUT": "1"})
        assert (code, out) == (2, "")
        assert "No health verdict" in err and "no answer within 1s" in err
        assert "tried" not in err


SHIFT_CREATIVE = """\
runbooks:
  definitions:
    - name: shift_creative
      description: Serve creative briefs with balanced.
      target: qwen
      automation: automatic
      steps:
        - id: shift
          type: action
          title: Serve creative with balanced
          action: {kind: set_routing, mode: creative, serve_with: balanced}
"""


async def test_a_runs_status_reads_as_outcomes_and_json_keeps_the_answer(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text(CHANNELS_YAML + SHIFT_CREATIVE)
    async with running_standin(StandinState(seed=7)) as standin:
        env = {**cli_env, "SRE_CONFIG": str(config), "SERVING_URL": standin.url}
        code, out, err = await invoke("runbook", "execute", "shift_creative", env=env)
        assert code == 0, err
        assert "creative now served by balanced" in out and '"routing"' not in out
        run_id = next(word for word in out.split() if word.startswith("RUN-"))

        code, out, _ = await invoke("runbook", "status", run_id, env=env)
        assert code == 0 and "creative now served by balanced" in out
        assert '"routing"' not in out
        code, out, _ = await invoke("runbook", "status", run_id, "--json", env=env)
        (step,) = json.loads(out)["steps"]
        assert code == 0 and step["detail"] == "creative now served by balanced"
        assert step["answer"]["routing"]["creative"] == "balanced"


async def test_a_reader_that_stops_reading_ends_the_command_quietly(
    cli_env: dict[str, str],
) -> None:
    """`python -m bot incident list | head -1`: the reader is gone before the list is
    written; the command ends as a piped command does, with no traceback and no
    "unexpected error"."""
    for _ in range(3):
        await _create(cli_env)

    def piped_into_a_closed_reader() -> tuple[int, str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "incident", "list"],
            env={**os.environ, **cli_env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader leaves before a line is written
        err = process.stderr.read().decode()
        return process.wait(), err

    code, err = await asyncio.to_thread(piped_into_a_closed_reader)

    assert code == 141, err
    assert "Traceback" not in err and "unexpected error" not in err and "Exception" not in err
