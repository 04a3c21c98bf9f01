"""The shell speaks Slack's words as well as the guide's: ``incident create sev2 <title>``
beside the JSON, ``runbook run`` beside ``runbook execute``; help and tab completion say so."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.cli import invoke
from tests.support.config import CHANNELS_YAML
from tests.support.ports import free_port


async def _listed(env: dict[str, str]) -> list[dict[str, object]]:
    code, out, err = await invoke("incident", "list", "--json", env=env)
    assert code == 0, err
    listed: list[dict[str, object]] = json.loads(out)
    return listed


@pytest.mark.parametrize(
    ("words", "severity", "title"),
    [
        (("sev2", "Qwen", "LLM", "failure"), "Sev2", "Qwen LLM failure"),
        (("SEV1", "Checkout down"), "Sev1", "Checkout down"),
        (("sev4 Docs typo",), "Sev4", "Docs typo"),
        (("Slow", "search"), "Sev3", "Slow search"),
    ],
)
async def test_create_in_slack_words(
    cli_env: dict[str, str], words: tuple[str, ...], severity: str, title: str
) -> None:
    code, out, err = await invoke("incident", "create", *words, env=cli_env)

    assert code == 0, err
    assert out.splitlines()[0].endswith(f" [{severity}]")
    assert out.splitlines()[1] == f"   Title: {title}"
    [stored] = await _listed(cli_env)
    assert (stored["severity"], stored["title"]) == (severity, title)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (("sev9", "Qwen", "down"), "Unknown severity 'sev9': use sev1, sev2, sev3 or sev4."),
        (("severe", "latency"), "Unknown severity 'severe'"),
        (("sev2",), 'needs a title: `python -m bot incident create sev2 "<what is broken>"`'),
        (("  ",), "An incident needs a title"),
        (('{"title": "Qwen down", "severity": ',), "incident create: json: "),
        (('{"title": "Qwen down"', "sev2"), "incident create: json: "),
    ],
)
async def test_bad_declarations_exit_2_and_store_nothing(
    cli_env: dict[str, str], words: tuple[str, ...], message: str
) -> None:
    code, out, err = await invoke("incident", "create", *words, env=cli_env)

    assert (code, out) == (2, ""), err
    assert message in err
    assert "Traceback" not in err
    assert await _listed(cli_env) == []


async def test_runbook_run_is_runbook_execute(cli_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "sre.yaml"
    config.write_text(CHANNELS_YAML + "runbooks:\n  approvers: [U0AAA]\n")
    env = cli_env | {"SRE_CONFIG": str(config), "SERVING_URL": f"http://127.0.0.1:{free_port()}"}

    runs = [
        await invoke("runbook", verb, "rl_reward_runaway_rollback", "--dry-run", env=env)
        for verb in ("run", "execute")
    ]

    def without_run_id(text: str) -> str:
        """The two runs differ only in their IDs and in how long their checks took."""
        text = re.sub(r"RUN-\d{8}-\d{6}(-\d+)?", "RUN-…", text)
        return re.sub(r"\(\d+(\.\d+)?m?s\)", "(…)", text)

    (code, out, err), (code_e, out_e, err_e) = runs
    assert code == code_e == 1, (err, err_e)  # the serving process does not answer: a failed check
    assert out.startswith("RUN-") and "rl_reward_runaway_rollback → rl (dry run): failed" in out
    assert "dry run: nothing was changed" in out and "would wait up to 30m for" in out
    assert without_run_id(out) == without_run_id(out_e)
    code, out, err = await invoke("runbook", "run", "no_such_runbook", env=env)
    assert (code, out) == (2, "")
    assert "No runbook named 'no_such_runbook'. Runbooks: api_high_latency_scaleup" in err


async def test_help_shows_both_dialects() -> None:
    code, out, _ = await invoke("runbook", "--help", env={})
    assert code == 0 and "execute (run)" in out
    code, out, _ = await invoke("incident", "create", "--help", env={})
    assert code == 0
    assert "python -m bot incident create [sev1|sev2|sev3|sev4] TITLE..." in out
    assert "python -m bot incident create JSON" in out
    assert "incident create sev2 Qwen LLM failure" in out
