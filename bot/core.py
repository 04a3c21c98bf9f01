"""The part of the composition root every door needs: the schema check, the database, the
clock, the incident service and the people sre.yaml names.

It imports no Slack, web server or HTTP client, so a shell command that needs only these
(``python -m bot incident ...`` without Slack) starts at once; ``bot.app.build_container``
builds the rest of the application on top of the same core.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.clock import Clock, SystemClock
from bot.errors import ConfigurationError
from bot.incidents.service import IncidentObserver, IncidentService
from bot.people import PeopleDirectory, PeopleMap
from bot.settings import Environment, SreConfig
from storage import migrate
from storage.db import Database


@dataclass(frozen=True)
class Core:
    env: Environment
    config: SreConfig
    db: Database
    clock: Clock
    incidents: IncidentService
    # Names for the shell's text: sre.yaml's ``people:`` (``bot.app`` adds Slack's names).
    people: PeopleDirectory

    async def close(self) -> None:
        await self.db.dispose()


def build_core(
    env: Environment,
    config: SreConfig,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    observers: Sequence[IncidentObserver] = (),
    owed: Callable[[], None] = lambda: None,
) -> Core:
    """The database, the clock, the incident service and sre.yaml's names; ``observers`` and
    ``owed`` are the metrics and the outbox's kick of a process that has them."""
    clock = clock or SystemClock()
    db = db or Database(env.DATABASE_URL)
    incidents = IncidentService(
        db=db,
        clock=clock,
        channel=config.channels.incidents,
        observers=observers,
        owed=owed,
        joins=config.incidents.join.rules,
    )
    return Core(
        env=env,
        config=config,
        db=db,
        clock=clock,
        incidents=incidents,
        people=PeopleMap(config.people),
    )


def prepare_database(env: Environment) -> None:
    """SQLite files are upgraded in place; a PostgreSQL schema must be upgraded on purpose.

    At the head this is one query; Alembic is loaded only when the schema differs.
    """
    found = migrate.mismatch(env.DATABASE_URL)
    if found is None:
        return
    at = found.current or "nothing"
    if not found.behind:
        raise ConfigurationError(
            f"the database schema is at {at}, which this version does not know (it needs "
            f"{migrate.HEAD_REVISION}): a newer version of the bot upgraded it. Run that "
            "version, or point DATABASE_URL at a database of this one"
        )
    if env.DATABASE_URL.startswith("sqlite"):
        migrate.upgrade(env.DATABASE_URL)
        return
    raise ConfigurationError(
        f"the database schema is at {at}, this version needs {migrate.HEAD_REVISION}: "
        "run `python -m bot db upgrade`"
    )
