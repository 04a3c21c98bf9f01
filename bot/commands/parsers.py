"""argparse in the reader's language: its own words (``usage:``, the section titles, ``-h``,
``error:``) from the catalogue, and Korean help wrapped by the columns a terminal gives it.

English reads byte for byte as argparse prints it. What argparse itself composes inside a
usage error ("the following arguments are required", "invalid choice") stays English: it
offers no way in but the process-wide gettext domain.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any, NoReturn

from bot.i18n import ENGLISH, Language, Words, display_width


def _wrap(text: str, width: int) -> list[str]:
    """Whole words per line, each line at most ``width`` columns (a longer word alone)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and display_width(candidate) > width:
            lines.append(line)
            candidate = word
        line = candidate
    return [*lines, line] if line else lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, saying ``usage:`` in the reader's language and wrapping a
    language with wide characters by columns, not by characters."""

    def __init__(self, prog: str, *, words: Words = ENGLISH, **kwargs: Any) -> None:
        super().__init__(prog, **kwargs)
        self.words = words

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        if prefix is None:
            prefix = self.words.gettext("usage: ")
        super().add_usage(usage, actions, groups, prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        if self.words.language is Language.EN:
            return super()._split_lines(text, width)
        return _wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if self.words.language is Language.EN:
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in _wrap(text, width - len(indent)))


class RawDescriptionHelpFormatter(HelpFormatter):
    """Descriptions and epilogs as written, line for line (argparse's namesake)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


class ShellParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose every word is in ``words``' language; its subcommands'
    parsers are made of the same class and given the same ``words``."""

    def __init__(
        self, *args: Any, words: Words = ENGLISH, raw_description: bool = False, **kwargs: Any
    ) -> None:
        formatter = RawDescriptionHelpFormatter if raw_description else HelpFormatter
        kwargs["formatter_class"] = partial(formatter, words=words)
        # argparse's own -h says its help in English: this one is added below instead.
        add_help = kwargs.get("add_help", True)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.words = words
        _ = words.gettext
        # The groups argparse made with its own English titles.
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", help=_("show this help message and exit")
            )

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", partial(ShellParser, words=self.words))
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(
            2, self.words.gettext("{prog}: error: {message}\n", prog=self.prog, message=message)
        )


def language_asked(argv: Sequence[str]) -> str | None:
    """The value given to the top-level ``--lang`` (``--lang ko``, ``--lang=ko``, or a
    prefix argparse would accept), read before the parser exists: the parser's help is
    written in that language. None when it is not given."""
    words = iter(argv)
    for word in words:
        name, equals, value = word.partition("=")
        if len(name) >= 3 and "--lang".startswith(name):
            return value if equals else next(words, None)
        if len(name) >= 3 and "--config".startswith(name):
            if not equals:
                next(words, None)
        elif not word.startswith("-") or word == "--":
            return None  # the command: what follows is its own
    return None
