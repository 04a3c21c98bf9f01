"""``python -m bot slo report|check|rules`` (guide §1.4, §8.2; SPEC §5, §8)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import Container
from bot.slo.report import render_check_line, render_report, results_to_json
from bot.slo.rules import render_rules


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO time such as 2026-10-01T00:00:00Z"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone, e.g. a trailing Z")
    return value


def register(commands: Any) -> None:
    slo = commands.add_parser("slo", help="SLOs and error budgets")
    actions = slo.add_subparsers(dest="action", required=True)
    for name, text in (
        ("report", "the SLO & Error Budget Report"),
        ("check", "may we deploy? exit 0 allowed, 1 blocked, 2 cannot tell"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--json", action="store_true")
        action.add_argument("--at", type=_instant, help="evaluate at this instant instead of now")
    rules = actions.add_parser("rules", help="Prometheus recording and burn-rate alert rules")
    rules.add_argument("--output", type=Path, help="write to this file instead of stdout")


async def run(args: argparse.Namespace, container: Container) -> int:
    if args.action == "rules":
        text = render_rules(container.slo.definitions)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
            print(
                f"wrote {len(container.slo.definitions)} SLOs' rules to {args.output}",
                file=sys.stderr,
            )
        else:
            print(text, end="")
        return 0
    snapshot = await container.slo.snapshot(at=args.at)
    if args.json:
        print(results_to_json(snapshot.results, snapshot.verdict))
    elif args.action == "report":
        print(render_report(snapshot.results, snapshot.verdict))
    else:
        print(render_check_line(snapshot.verdict))
    return snapshot.verdict.exit_code if args.action == "check" else 0
