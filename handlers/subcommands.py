"""One router for every slash command: the first word picks the subcommand; ``help``, usage
and unknown words are answered the same way for ``/incident``, ``/runbook``, ``/slo`` and
``/oncall``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import InvalidInput
from handlers.blocks.text import Reply, escape, message
from handlers.payloads import SlashCommand

_WHITESPACE = re.compile(r"\s+")

# A subcommand gets the command and the text after its word, stripped.
Run = Callable[[SlashCommand, str], Awaitable[Reply | None]]


@dataclass(frozen=True)
class Subcommand:
    run: Run
    usage: str
    min_words: int = 0
    max_words: int | None = None

    def check(self, rest: str) -> None:
        """Refuse with the usage when the words after the subcommand are too few or many."""
        count = len(rest.split())
        if count < self.min_words:
            raise InvalidInput(f"Usage: `{self.usage}`")
        if self.max_words is not None and count > self.max_words:
            if self.max_words == 0:
                raise InvalidInput(f"`{self.usage}` takes no further words.")
            raise InvalidInput(f"Too many words. Usage: `{self.usage}`")


class SubcommandRouter:
    """``/command <word> [rest]`` to the handler registered for ``word``.

    No text means ``default`` (help unless said otherwise). An unknown word goes to
    ``otherwise`` when there is one (which then gets the word as its first argument: ``/slo
    <name>``), else it is refused with the help text.
    """

    def __init__(self, command: str, *, help_text: str, default: str = "help") -> None:
        """``help_text`` is raw mrkdwn (``<title>`` as typed): it is escaped where shown."""
        self.command = command
        self.help_text = help_text
        self.default = default
        self._subcommands: dict[str, Subcommand] = {}
        self._otherwise: Subcommand | None = None
        self.add("help", self._help, usage=f"{command} help")

    def add(
        self,
        word: str,
        run: Run,
        *,
        usage: str = "",
        min_words: int = 0,
        max_words: int | None = None,
    ) -> None:
        self._subcommands[word] = Subcommand(
            run, usage or f"{self.command} {word}", min_words, max_words
        )

    def otherwise(self, run: Run, *, usage: str, max_words: int | None = None) -> None:
        self._otherwise = Subcommand(run, usage, 1, max_words)

    async def dispatch(self, command: SlashCommand) -> Reply | None:
        parts = _WHITESPACE.split(command.text.strip(), maxsplit=1)
        word, rest = parts[0], parts[1] if len(parts) > 1 else ""
        subcommand = self._subcommands.get(word.lower() or self.default)
        if subcommand is None and self._otherwise is not None:
            subcommand, rest = self._otherwise, command.text.strip()
        elif subcommand is None:
            raise InvalidInput(f"Unknown subcommand {word[:40]!r}.\n{self.help_text}")
        subcommand.check(rest)
        return await subcommand.run(command, rest)

    async def _help(self, command: SlashCommand, rest: str) -> Reply:
        return message(escape(self.help_text))
