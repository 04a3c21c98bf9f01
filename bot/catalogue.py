"""The catalogue of what the bot says, kept in step with the code.

    python -m bot.catalogue update   # after changing a marked string: .pot and Korean .po
    python -m bot.catalogue check    # .ci/run: fails on a string the catalogue lacks

``update`` extracts every marked string (``gettext``, ``ngettext``, ``pgettext`` and ``N_``
calls) from ``bot/`` and ``handlers/`` (where Slack's messages are written) into ``bot/locale/artisan.pot`` and merges it into each language's
``.po``: a new string arrives there empty, a changed one fuzzy, for a person to translate.
``check`` fails when a marked string is missing from the template or a ``.po``, when a
translation is empty or fuzzy, or when it drops or invents a ``{name}`` place.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALE_DIR, Language, po_file

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
SOURCES = (PACKAGE, ROOT / "handlers")
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
TRANSLATED = tuple(language for language in Language if language is not Language.EN)
PLACE = re.compile(r"\{(\w+)\}")


def extract() -> Catalog:
    """Every marked string in ``SOURCES``, with the files it is in."""
    catalog = Catalog(project="artisan-sre", domain=DOMAIN, charset="utf-8")
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(source),
            method_map=[("**.py", "python")],
            keywords=DEFAULT_KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):
            # The files it is in; write_po leaves the line numbers out, which move at every
            # edit.
            location = (f"{source.name}/{filename}", lineno)
            catalog.add(message, locations=[location], auto_comments=comments, context=context)
    return catalog


def _key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def _messages(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def _read(path: Path, language: Language | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=language.value if language else None, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as target:
        write_po(target, catalog, width=96, include_lineno=False, sort_output=True)


def update() -> None:
    """Write the template from the code and merge it into every translated ``.po``."""
    template = extract()
    _write(TEMPLATE, template)
    for language in TRANSLATED:
        path = po_file(language)
        if path.exists():
            catalog = _read(path, language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language.value, domain=DOMAIN, project="artisan-sre")
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()  # what the code no longer says is not kept
        _write(path, catalog)
        print(f"{path.relative_to(ROOT)}: {_untranslated(catalog)} to translate")
    print(f"{TEMPLATE.relative_to(ROOT)}: {sum(1 for _ in _messages(template))} strings")


def _untranslated(catalog: Catalog) -> int:
    return sum(1 for message in _messages(catalog) if _problem(message))


def _strings(message: Message) -> tuple[list[str], list[str]]:
    ids = [message.id] if isinstance(message.id, str) else list(message.id)
    string = message.string
    strings = [string] if isinstance(string, str) else list(string or ())
    return ids, strings


def _problem(message: Message) -> str | None:
    """What is wrong with one translation, or None."""
    if message.fuzzy:
        return "fuzzy: check the translation, then remove the fuzzy flag"
    ids, strings = _strings(message)
    if not strings or not all(strings):
        return "not translated"
    wanted = {name for text in ids for name in PLACE.findall(text)}
    for text in strings:
        found = set(PLACE.findall(text))
        if found != wanted:
            return f"its places {sorted(found)} are not the English's {sorted(wanted)}"
    return None


def _describe(key: tuple[str, str | None]) -> str:
    msgid, context = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def check() -> list[str]:
    """Every way the catalogue is out of step with the code, one line each."""
    code = {_key(message) for message in _messages(extract())}
    template = {_key(message) for message in _messages(_read(TEMPLATE))}
    where = TEMPLATE.relative_to(ROOT)
    problems = [f"{where}: missing {_describe(key)}" for key in sorted(code - template, key=str)]
    problems += [
        f"{where}: {_describe(key)} is no longer in the code"
        for key in sorted(template - code, key=str)
    ]
    for language in TRANSLATED:
        path = po_file(language)
        catalog = _read(path, language)
        where = path.relative_to(ROOT)
        found = {_key(message): message for message in _messages(catalog)}
        for key in sorted(code, key=str):
            message = found.get(key)
            problem = "missing" if message is None else _problem(message)
            if problem:
                problems.append(f"{where}: {_describe(key)}: {problem}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.catalogue", description=__doc__)
    parser.add_argument("action", choices=["update", "check"])
    if parser.parse_args(argv).action == "update":
        update()
        return 0
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"the catalogue is out of step with the code ({len(problems)} above): run "
            "`python -m bot.catalogue update`, translate what is empty or fuzzy in "
            "bot/locale/*/LC_MESSAGES/*.po (docs/glossary.md), and run this again",
            file=sys.stderr,
        )
        return 1
    print("the catalogue has every string the code says, translated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
