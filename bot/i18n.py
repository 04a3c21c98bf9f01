"""The words the bot says, in Korean or English: one catalogue, read through gettext.

The English text is the catalogue's key (the ``msgid``), so English needs no catalogue at
all and reads exactly as the code writes it. Korean lives in
``bot/locale/ko/LC_MESSAGES/artisan.po``; the ``.mo`` gettext reads is compiled from it with
Babel when it is missing or older than its ``.po``, and written beside it. Babel is imported
only then: a shell command with a fresh ``.mo`` pays for reading one small file
(``bench/shell_latency.py``). The terms are the team's (docs/glossary.md).
"""

from __future__ import annotations

import gettext
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

DOMAIN = "artisan"
LOCALE_DIR = Path(__file__).with_name("locale")
# Where a language's words are decided from, most specific first (POSIX: LC_ALL overrides
# LC_MESSAGES, which overrides LANG).
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


class Language(StrEnum):
    EN = "en"
    KO = "ko"


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue where it is written down; whoever shows it
    translates it (``Words.gettext``) in the reader's language."""
    return message


@dataclass(frozen=True)
class Words:
    """What is said in one language: ``gettext`` and ``ngettext`` with ``{name}`` values."""

    language: Language
    catalogue: gettext.NullTranslations

    def gettext(self, message: str, /, **values: object) -> str:
        """``message`` in this language, its ``{name}`` places filled from ``values``."""
        text = self.catalogue.gettext(message)
        return text.format(**values) if values else text

    def pgettext(self, context: str, message: str, /, **values: object) -> str:
        """``message`` as meant in ``context`` (one English word, two Korean ones)."""
        text = self.catalogue.pgettext(context, message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The form of ``singular``/``plural`` this language uses for ``n`` (``{n}``)."""
        return self.catalogue.ngettext(singular, plural, n).format(n=n, **values)


ENGLISH = Words(Language.EN, gettext.NullTranslations())


def parse_language(text: str) -> Language | None:
    """``ko``, ``en``, or a locale name such as ``ko_KR.UTF-8``; None for anything else."""
    code = text.strip().lower().replace("-", "_").split(".")[0].split("@")[0].split("_")[0]
    return Language(code) if code in {language.value for language in Language} else None


def language_from(environ: Mapping[str, str]) -> Language:
    """The language a locale environment asks for: the first of LC_ALL, LC_MESSAGES, LANG
    that is set decides; Korean for ``ko…``, English for anything else (``C``, ``POSIX``,
    a language the bot does not speak) and when none is set."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            return parse_language(value) or Language.EN
    return Language.EN


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Hangul and other wide characters take two."""
    if text.isascii():
        return len(text)
    import unicodedata  # only for text that is not ASCII: English never loads it

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` columns (``str.ljust`` counts characters)."""
    return text + " " * max(0, width - display_width(text))


def words_for(language: Language) -> Words:
    """The words of ``language``; English is the code's own text."""
    if language is Language.EN:
        return ENGLISH
    return Words(language, _catalogue(language))


def po_file(language: Language) -> Path:
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _catalogue(language: Language) -> gettext.GNUTranslations:
    return load_catalogue(po_file(language), language)


def load_catalogue(po: Path, language: Language) -> gettext.GNUTranslations:
    """The translations of ``po``, from its ``.mo`` when that is fresh, else compiled now
    and written beside it for the next start."""
    mo = po.with_suffix(".mo")
    try:
        fresh = mo.stat().st_mtime >= po.stat().st_mtime
    except FileNotFoundError:
        fresh = not po.exists() and mo.exists()
    if fresh:
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    data = compile_po(po, language)
    # Another process may compile at the same moment: each writes its own file and renames
    # it into place, so a reader never finds half a catalogue.
    partial = mo.with_suffix(f".{os.getpid()}.mo")
    try:
        partial.write_bytes(data)
        os.replace(partial, mo)
    except OSError:  # a read-only install: compiled again at the next start, in memory
        partial.unlink(missing_ok=True)
    return gettext.GNUTranslations(io.BytesIO(data))


def compile_po(po: Path, language: Language) -> bytes:
    """The ``.mo`` of a ``.po`` (fuzzy entries left out: they show in English)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, locale=language.value, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    return compiled.getvalue()
