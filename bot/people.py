"""Who a Slack user ID is, for text that leaves Slack (the shell, a postmortem draft).

Inside Slack a person is a mention (``<@U0AAA>``) and Slack shows their name; anywhere else
the bot writes their display name. The directories that know names are the team's
``people:`` map in sre.yaml (the shell without Slack) and Slack's ``users.info`` (wired in
``bot.app``); an ID nobody knows, or a name that is no ID (a shell ``--responder alice``,
``health-probe``), reads as itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.slack_ids import USER_ID, USER_ID_IN_TEXT


class UserDirectory(Protocol):
    """Whether a user exists in the workspace (Slack's ``users.info`` in production)."""

    async def exists(self, user_id: str) -> bool: ...


class PeopleDirectory(Protocol):
    """A person's display name by user ID; None when this directory does not know them."""

    async def display_name(self, user_id: str) -> str | None: ...


class PeopleMap:
    """sre.yaml's ``people:`` (``{U0AAA: Minji Kim}``): names with no Slack to ask."""

    def __init__(self, people: Mapping[str, str]) -> None:
        self._people = dict(people)

    async def display_name(self, user_id: str) -> str | None:
        return self._people.get(user_id)


class FirstKnown:
    """Asks each directory in turn; the first name found wins (sre.yaml before Slack)."""

    def __init__(self, *directories: PeopleDirectory) -> None:
        self._directories = directories

    async def display_name(self, user_id: str) -> str | None:
        for directory in self._directories:
            name = await directory.display_name(user_id)
            if name:
                return name
        return None


@dataclass(frozen=True)
class Names:
    """The display names looked up for one text, so the text itself is built without I/O.
    Anyone not looked up or not known reads as written."""

    known: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, who: str) -> str:
        return self.known.get(who, who)

    def in_text(self, text: str) -> str:
        """``text`` (a stored detail such as "approved by U0BBB") with known IDs as names."""
        return USER_ID_IN_TEXT.sub(lambda m: self(m.group(0)), text)


def ids_in(*texts: str | None) -> list[str]:
    """The user IDs written inside free text, for ``look_up`` before ``Names.in_text``."""
    return [m.group(0) for text in texts if text for m in USER_ID_IN_TEXT.finditer(text)]


async def look_up(directory: PeopleDirectory, people: Iterable[str | None]) -> Names:
    """Names for every user ID among ``people`` the directory knows, asked at once."""
    ids = sorted({p for p in people if p and USER_ID.match(p)})
    found = await asyncio.gather(*(directory.display_name(i) for i in ids))
    return Names({i: name for i, name in zip(ids, found, strict=True) if name})
