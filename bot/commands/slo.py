"""``python -m bot slo report|check|rules`` (docs/shell.md, docs/guide.md#output-formats)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.app import Container
from bot.slo.definitions import SloDefinition
from bot.slo.report import render_check_line, render_report, results_to_json
from bot.slo.rules import render_rules


def rules(args: argparse.Namespace, slos: Sequence[SloDefinition]) -> int:
    """``slo rules``: the Prometheus rules of ``slos``; reads sre.yaml only (no database)."""
    text = render_rules(slos)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(slos)} SLOs' rules to {args.output}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


async def run(args: argparse.Namespace, container: Container) -> int:
    if args.action == "rules":
        return rules(args, container.slo.definitions)
    snapshot = await container.slo.snapshot(at=args.at)
    if args.json:
        print(results_to_json(snapshot.results, snapshot.verdict))
    elif args.action == "report":
        print(render_report(snapshot.results, snapshot.verdict))
    else:
        print(render_check_line(snapshot.verdict))
    return snapshot.verdict.exit_code if args.action == "check" else 0
