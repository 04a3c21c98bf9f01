"""The shell in Korean: ``incident list``, ``incident show``, their refusals and the help,
chosen by the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) or by ``--lang``, which wins.
English is the default and reads as it always did (the other tests of the shell)."""

from __future__ import annotations

import json

import pytest

from bot.i18n import display_width
from tests.support.cli import invoke

KOREAN = {"LANG": "ko_KR.UTF-8"}


async def _declare(env: dict[str, str], *words: str) -> str:
    code, out, _ = await invoke("incident", "create", *words, env=env)
    assert code == 0
    return out.split()[3]


async def test_incident_list_speaks_korean_with_a_korean_locale(cli_env: dict[str, str]) -> None:
    korean = {**cli_env, **KOREAN}
    assert await invoke("incident", "list", env=korean) == (0, "열린 장애가 없습니다.\n", "")
    assert await invoke("incident", "list", "--all", env=korean) == (
        0,
        "기록된 장애가 없습니다.\n",
        "",
    )

    first = await _declare(cli_env, "sev2", "Qwen", "down")
    second = await _declare(cli_env, "sev3", "RL", "regressed")
    await invoke("incident", "ack", second, "--responder", "minji", env=cli_env)
    await invoke("incident", "status", second, "investigating", env=cli_env)

    code, out, _ = await invoke("incident", "list", env=korean)

    # Statuses in Korean, aligned by the columns a terminal gives Hangul (two each);
    # IDs, severities, names and titles as they are.
    assert code == 0
    assert out.splitlines() == [
        f"{second}  Sev3  조사 중       minji        RL regressed",
        f"{first}  Sev2  미확인        -            Qwen down",
    ]
    _, english, _ = await invoke("incident", "list", env=cli_env)
    assert english.splitlines()[1] == f"{first}  Sev2  open          -            Qwen down"


async def test_lang_chooses_the_language_and_wins_over_the_locale(
    cli_env: dict[str, str],
) -> None:
    assert (await invoke("--lang", "ko", "incident", "list", env=cli_env))[1] == (
        "열린 장애가 없습니다.\n"
    )
    korean = {**cli_env, **KOREAN}
    assert (await invoke("--lang", "en", "incident", "list", env=korean))[1] == "No incidents.\n"
    assert (await invoke("--lang=EN", "incident", "list", env=korean))[1] == "No incidents.\n"


@pytest.mark.parametrize(
    ("locale", "speaks_korean"),
    [
        ({"LANG": "ko_KR.UTF-8"}, True),
        ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "C.UTF-8"}, True),
        ({"LC_ALL": "C.UTF-8", "LANG": "ko_KR.UTF-8"}, False),  # LC_ALL overrides
        ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, True),
        ({"LANG": "ja_JP.UTF-8"}, False),  # a language the bot does not speak: English
        ({}, False),
    ],
)
async def test_the_locale_decides_as_posix_says(
    cli_env: dict[str, str], locale: dict[str, str], speaks_korean: bool
) -> None:
    _, out, _ = await invoke("incident", "list", env={**cli_env, **locale})
    assert out == ("열린 장애가 없습니다.\n" if speaks_korean else "No incidents.\n")


async def test_incident_show_and_its_refusals_in_korean(cli_env: dict[str, str]) -> None:
    incident_id = await _declare(cli_env, "sev2", "Qwen", "down")
    await invoke("incident", "ack", incident_id, "--responder", "minji", env=cli_env)
    korean = {**cli_env, **KOREAN}

    code, out, _ = await invoke("incident", "show", incident_id, env=korean)

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{incident_id} [Sev2] Qwen down"
    assert lines[1:3] == ["   상태:         확인", "   구성 요소:    -"]
    assert lines[3].startswith("   선언:         ") and lines[3].endswith(" UTC (cli)")
    assert lines[4:9] == [
        "   확인자:       minji",
        "   근본 원인:    -",
        "   해결 방법:    -",
        "   포스트모템:   -",
        "   타임라인:",
    ]
    # The timeline's entries are what it stored, who in brackets.
    assert lines[9].endswith(" created (cli) — Sev2: Qwen down")
    assert lines[10].endswith(" acknowledged (minji)")

    # --json is for scripts: the same keys and values in any language.
    assert json.loads((await invoke("incident", "show", incident_id, "--json", env=korean))[1]) == (
        json.loads((await invoke("incident", "show", incident_id, "--json", env=cli_env))[1])
    )

    assert await invoke("incident", "show", "INC-20990101-000000", env=korean) == (
        1,
        "",
        "INC-20990101-000000 장애는 없습니다. "
        "열린 장애는 `python -m bot incident list`로 볼 수 있습니다.\n",
    )
    assert await invoke("incident", "show", "nonsense", env=korean) == (
        2,
        "",
        "'nonsense': 장애 ID가 아닙니다. 장애 ID는 INC-20251014-103000 형식입니다.\n",
    )


async def test_the_guides_lines_stay_english_in_korean(cli_env: dict[str, str]) -> None:
    """The team's guide fixes ``incident create``'s and ``ack``'s lines."""
    korean = {**cli_env, **KOREAN}
    code, out, _ = await invoke("incident", "create", "sev2", "Qwen", "down", env=korean)
    assert code == 0 and out.startswith("🚨 Incident Created: INC-")
    assert out.endswith("   Title: Qwen down\n   Affected: -\n")


async def test_help_in_korean_by_locale_and_by_lang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # argparse reads the terminal's width from here
    code, out, _ = await invoke("--lang", "ko", "--help", env={})
    assert code == 0
    assert out.startswith("사용법: python -m bot [-h] [--config PATH] [--lang ko|en] COMMAND")
    assert "    incident     장애를 선언하고 대응합니다\n" in out
    assert "옵션:\n  -h, --help     이 도움말을 보여 주고 끝냅니다\n" in out
    assert "종료 코드: 0 완료; 1 거부" in out

    code, out, _ = await invoke("incident", "--help", env=KOREAN)
    assert code == 0
    assert "    list      열린 장애 목록을 봅니다\n" in out
    assert "    show      장애 하나를 타임라인과 함께 봅니다\n" in out

    code, out, _ = await invoke("incident", "show", "--help", env=KOREAN)
    assert code == 0 and "  INC-ID      예: INC-20261014-103000\n" in out

    code, out, _ = await invoke("--lang", "en", "--help", env=KOREAN)
    assert code == 0 and out.startswith("usage: python -m bot [-h]")
    assert "  --lang ko|en   the language the shell speaks: ko (Korean) or en (English);" in out


@pytest.mark.parametrize("command", [(), ("incident",), ("incident", "resolve")])
async def test_korean_help_fits_the_terminal(
    monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """argparse wraps by characters; Hangul takes two columns each, so Korean is wrapped
    by columns instead."""
    monkeypatch.setenv("COLUMNS", "80")
    _, out, _ = await invoke("--lang", "ko", *command, "--help", env={})
    assert max(display_width(line) for line in out.splitlines()) <= 80


async def test_an_unknown_lang_is_a_usage_error_that_changes_nothing(
    cli_env: dict[str, str],
) -> None:
    code, out, err = await invoke("--lang", "fr", "incident", "create", "sev2", "x", env=cli_env)

    assert (code, out) == (2, "")
    assert err.endswith(
        "python -m bot: error: argument --lang: 'fr' is not a language the shell speaks: "
        "ko (Korean) or en (English)\n"
    )
    assert (await invoke("incident", "list", env=cli_env))[1] == "No incidents.\n"
    # Told in the locale's language.
    _, _, err = await invoke("--lang", "fr", "incident", "list", env={**cli_env, **KOREAN})
    assert err.splitlines()[-1] == (
        "python -m bot: 오류: argument --lang: 'fr': 셸이 쓰는 언어가 아닙니다. "
        "ko (한국어) 또는 en (영어) 중에서 고르세요"
    )
