"""``python -m tests.support.bot_process --at <ISO instant>``: ``python -m bot scheduler``
with a clock that starts at ``--at`` and runs at real speed.

Everything else is built from the environment exactly as the CLI does, so a test can kill
and restart a real scheduler process at any moment of the calendar (a Friday handoff, the
first Monday's drill) without the product knowing of any clock but the system's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from bot.app import build_container
from bot.cli import configure_logging
from bot.core import prepare_database
from bot.errors import ConfigurationError
from bot.serve import run_scheduler
from bot.settings import load_config, load_environment
from tests.support.clock import RunningClock


def _instant(value: str) -> datetime:
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no timezone offset")
    return instant


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(prog="python -m tests.support.bot_process")
    parser.add_argument("--at", type=_instant, required=True, help="the clock's start instant")
    args = parser.parse_args(argv)
    try:
        env = load_environment()
        config = load_config(env.SRE_CONFIG, required=True)
        prepare_database(env)
    except ConfigurationError as exc:
        print(f"configuration error:\n{exc.message}", file=sys.stderr)
        return 2
    asyncio.run(run_scheduler(build_container(env, config, clock=RunningClock(args.at))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
