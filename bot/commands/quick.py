"""Shell commands answered without loading the database layer: ``incident list`` (text) on
a SQLite file, the shell's everyday question (``bench.shell_latency``).

``quick_answer`` answers when it can and returns None otherwise; then ``bot.commands
.execute`` runs the command the usual way, which says the same for everything this answers
(``tests/cli/test_quick_list.py``).
"""

from __future__ import annotations

import argparse
import asyncio

from bot.i18n import ENGLISH, Words
from bot.incidents.cli_text import list_text, people_in
from bot.incidents.model import ACTIVE
from bot.incidents.rows import incident_from_row
from bot.people import PeopleMap, look_up
from bot.settings import Environment, shell_config
from storage.incident_listing import list_incidents, sqlite_file


def quick_answer(
    args: argparse.Namespace, env: Environment, *, words: Words = ENGLISH
) -> int | None:
    """The exit code of a command answered here; None when the usual path must answer."""
    if (args.command, getattr(args, "action", None)) != ("incident", "list") or args.json:
        return None
    # With Slack configured, names come from Slack, which the usual path asks.
    path = sqlite_file(env.DATABASE_URL)
    if path is None or env.slack_configured:
        return None
    config = shell_config(env, args.command)
    statuses = None if args.all else sorted(s.value for s in ACTIVE)
    records = list_incidents(path, statuses=statuses)
    if records is None:
        return None
    incidents = [incident_from_row(record) for record in records]
    names = asyncio.run(look_up(PeopleMap(config.people), people_in(incidents)))
    print(list_text(incidents, names, words=words, everything=args.all))
    return 0
