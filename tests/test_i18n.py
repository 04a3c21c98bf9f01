"""The translator: which language a locale asks for, plural forms from the catalogue, and
the ``.mo`` compiled from its ``.po`` only when that changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands.parsers import language_asked
from bot.durations import format_duration, humanize
from bot.i18n import ENGLISH, Language, Words, load_catalogue, parse_language, po_file, words_for

PLURAL_PO = """\
msgid ""
msgstr ""
"Language: ko\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "{n} incident open"
msgid_plural "{n} incidents open"
msgstr[0] "열린 장애 {n}건"

#, fuzzy
msgid "Resolved"
msgstr "해결됨"
"""


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ko", Language.KO),
        ("ko_KR.UTF-8", Language.KO),
        ("ko-KR", Language.KO),
        ("EN", Language.EN),
        ("en_US.UTF-8", Language.EN),
        ("C.UTF-8", None),
        ("POSIX", None),
        ("korean", None),
    ],
)
def test_a_locale_name_names_a_language(text: str, language: Language | None) -> None:
    assert parse_language(text) is language


@pytest.mark.parametrize(
    ("argv", "asked"),
    [
        (["--lang", "ko", "incident", "list"], "ko"),
        (["--config", "sre.yaml", "--lang=en", "--help"], "en"),
        (["--la", "ko", "--help"], "ko"),  # argparse accepts a unique prefix
        (["--config", "--lang", "incident", "list"], None),  # a path named --lang
        (["incident", "note", "INC-1", "--lang", "ko"], None),  # the note's words
        (["--lang"], None),
        ([], None),
    ],
)
def test_lang_is_read_before_the_parser_exists(argv: list[str], asked: str | None) -> None:
    assert language_asked(argv) == asked


def test_plural_forms_come_from_the_catalogue(tmp_path: Path) -> None:
    po = tmp_path / "artisan.po"
    po.write_text(PLURAL_PO, encoding="utf-8")
    korean = Words(Language.KO, load_catalogue(po, Language.KO))

    assert [ENGLISH.ngettext("{n} incident open", "{n} incidents open", n) for n in (1, 2)] == [
        "1 incident open",
        "2 incidents open",
    ]
    assert [korean.ngettext("{n} incident open", "{n} incidents open", n) for n in (1, 2)] == [
        "열린 장애 1건",
        "열린 장애 2건",
    ]
    assert korean.gettext("Resolved") == "Resolved"  # fuzzy: not yet checked, so English


def test_the_mo_is_compiled_when_missing_or_older_than_its_po(tmp_path: Path) -> None:
    po = tmp_path / "artisan.po"
    shutil.copy(po_file(Language.KO), po)
    mo = po.with_suffix(".mo")

    load_catalogue(po, Language.KO)
    assert mo.exists()
    compiled_at = mo.stat().st_mtime_ns

    load_catalogue(po, Language.KO)
    assert mo.stat().st_mtime_ns == compiled_at  # fresh: read, not compiled again

    later = compiled_at + 2_000_000_000
    os.utime(po, ns=(later, later))
    load_catalogue(po, Language.KO)
    assert mo.stat().st_mtime_ns > compiled_at
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artisan.mo", "artisan.po"]


def test_korean_with_a_fresh_mo_loads_no_babel() -> None:
    """Babel is for compiling; the shell's every start only reads the ``.mo``."""
    words_for(Language.KO)  # compiles it if this checkout has none yet
    program = (
        "import sys; from bot.i18n import Language, words_for; "
        "words_for(Language.KO); print(any(m.split('.')[0] == 'babel' for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("seconds", "english", "korean"),
    [
        (7, "7s", "7초"),
        (35 * 60, "35m 00s", "35분 00초"),
        (2 * 3600 + 5 * 60, "2h 05m", "2시간 05분"),
        (3 * 86400 + 4 * 3600, "3d 4h", "3일 4시간"),
    ],
)
def test_an_age_reads_in_the_channels_language(seconds: int, english: str, korean: str) -> None:
    age = timedelta(seconds=seconds)
    assert humanize(age) == english
    assert humanize(age, words=words_for(Language.KO)) == korean


@pytest.mark.parametrize(
    ("value", "english", "korean"),
    [
        (timedelta(minutes=30), "30m", "30분"),
        (timedelta(hours=4), "4h", "4시간"),
        (timedelta(days=7), "1w", "1주"),
        (timedelta(seconds=90), "90s", "90초"),
    ],
)
def test_a_response_time_reads_as_the_configuration_writes_it(
    value: timedelta, english: str, korean: str
) -> None:
    assert format_duration(value) == english
    assert format_duration(value, words=words_for(Language.KO)) == korean
