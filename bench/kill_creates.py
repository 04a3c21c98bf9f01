"""SIGKILL during a burst of signed ``/incident create``, at several moments, on each engine:
does every create Slack heard "got it" for end with one incident, one card and one answer?

Each run starts ``python -m bot serve`` on a fresh database, sends 50 creates at once, kills
the process ``--at`` seconds after the first was sent, starts it again and counts, per
acknowledged create, its incidents, cards and answers (``tests/support/kills.py``).

    .venv/bin/python -m bench.kill_creates --runs 5 --at 0.15 0.3 0.6 1.0 1.5
    .venv/bin/python -m bench.kill_creates --engine postgresql --runs 1 --at 0.3
    .venv/bin/python -m bench.kill_creates --split 1000   # two doors, two workers (PostgreSQL)

``--split N`` runs the other scenario instead: two ``serve --web-only`` and two ``worker`` on
PostgreSQL, N creates to both doors, one worker SIGKILLed a third of the way in and one door
restarted half-way; every acknowledged create must be carded once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from bench.databases import fresh_database
from sandbox.slack import SlackEmulator
from tests.support.config import sre_yaml
from tests.support.kills import Outcome, kill_during_creates, serve_env, split_failover

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
POLICY = sre_yaml({"schedule": {"tick": "1s", "post_timeout": "3s"}})


async def one_run(engine: str, at: float, run: int) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="artisan-kill-") as folder:
        workdir = Path(folder)
        config = workdir / "sre.yaml"
        config.write_text(POLICY)
        admin = POSTGRES if engine == "postgresql" else None
        url = fresh_database(admin, workdir=workdir, name="artisan_kill_bench")
        async with SlackEmulator() as emulator:
            return await kill_during_creates(
                env=serve_env(emulator, url, config),
                emulator=emulator,
                workdir=workdir,
                kill_after=at,
                tag=f"kill {engine} {at} {run}",
            )


async def split(creates: int) -> int:
    with tempfile.TemporaryDirectory(prefix="artisan-split-") as folder:
        workdir = Path(folder)
        config = workdir / "sre.yaml"
        config.write_text(POLICY)
        url = fresh_database(POSTGRES, workdir=workdir, name="artisan_split_bench")
        async with SlackEmulator() as emulator:
            outcome = await split_failover(
                env=serve_env(emulator, url, config),
                emulator=emulator,
                workdir=workdir,
                creates=creates,
            )
    lost, twice = outcome.lost(), outcome.twice()
    print(
        f"two doors, two workers: {len(outcome.acked)} of {creates} creates acknowledged; "
        f"{len(lost)} lost, {len(twice)} twice"
    )
    for title in lost + twice:
        print(
            f"    {title}: {outcome.incidents[title]} incidents, "
            f"{outcome.cards[title]} cards, {outcome.answers[title]} answers"
        )
    return 1 if lost or twice else 0


async def bench(engines: list[str], moments: list[float], runs: int) -> int:
    failures = 0
    print("engine      kill at  acked/sent  lost  twice")
    for engine in engines:
        for at in moments:
            for run in range(runs):
                outcome = await one_run(engine, at, run)
                lost, twice = outcome.lost(), outcome.twice()
                failures += bool(lost or twice)
                print(
                    f"{engine:<11} {at:>6.2f}s  {len(outcome.acked):>5}/{outcome.sent:<4}"
                    f"  {len(lost):>4}  {len(twice):>5}",
                    flush=True,
                )
                for title in lost + twice:
                    print(
                        f"    {title}: {outcome.incidents[title]} incidents, "
                        f"{outcome.cards[title]} cards, {outcome.answers[title]} answers"
                    )
    total = len(engines) * len(moments) * runs
    print(f"{total - failures} of {total} runs whole: every acknowledged create once")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--at", type=float, nargs="+", default=[0.15, 0.3, 0.6, 1.0, 1.5])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--split", type=int, metavar="N", help="the two-door scenario instead")
    args = parser.parse_args()
    if args.split:
        sys.exit(asyncio.run(split(args.split)))
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    sys.exit(asyncio.run(bench(engines, args.at, args.runs)))


if __name__ == "__main__":
    main()
