"""Every command's arguments and help, from light modules only.

``python -m bot --help`` (and a shell's tab completion) builds this parser and nothing else:
it must not import the app, Slack, the database or pydantic, so it stays fast.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

DESCRIPTION = """\
Serve the Artisan SRE bot, and run the SRE practice from a shell: declare, acknowledge
and resolve incidents, check SLOs and error budgets, see who is on call, run runbooks.

Exit codes: 0 done; 1 refused (the request was understood but the state does not allow
it, or a check failed); 2 bad input (a usage mistake, a malformed ID, a missing text,
an invalid configuration) or no verdict (Prometheus or the serving process did not
answer `slo check` or `health`)."""

EPILOG = "Each command has its own help: python -m bot incident --help"

INCIDENT_VERBS = (
    "create, ack, status, sev, note, rootcause, resolve, close, postmortem, show, list, report"
)
STATUSES = ("investigating", "mitigated", "resolved")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
# The serving process's models (bot.serving.models.MODELS, which imports pydantic; a test
# keeps the two equal).
HEALTH_MODELS = ("qwen", "mistral", "llama")
MAX_WORKERS = 64


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


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of workers from 1 to {MAX_WORKERS}"
        )
    return int(text)


def _severity_first(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    """Tab completion of ``incident create``: a severity is offered for the first word only."""
    if getattr(parsed_args, "words", None):
        return []
    return [severity for severity in SEVERITIES if severity.startswith(prefix.lower())]


def _parser(commands: Any, name: str, text: str, **kwargs: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=text,
        description=kwargs.pop("description", text[:1].upper() + text[1:] + "."),
        **kwargs,
    )
    return parser


def _actor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--actor",
        "--responder",
        dest="actor",
        default="cli",
        metavar="NAME",
        help="who does this, as the timeline records it (default: cli)",
    )


def _incident_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("incident_id", metavar="INC-ID", help="e.g. INC-20261014-103000")


def _text(parser: argparse.ArgumentParser, metavar: str, text: str) -> None:
    parser.add_argument("text", nargs="+", metavar=metavar, help=text + " (quotes optional)")


def _incident(commands: Any) -> None:
    incident = _parser(
        commands,
        "incident",
        "declare and run incidents",
        description=f"Declare and run incidents; the same words as /incident in Slack: "
        f"{INCIDENT_VERBS}.",
    )
    verbs = incident.add_subparsers(dest="action", required=True, metavar="VERB")
    create = _parser(
        verbs,
        "create",
        "declare an incident: sev2 <title>, as in Slack, or the guide's JSON",
        usage="python -m bot incident create [sev1|sev2|sev3|sev4] TITLE...\n"
        "       python -m bot incident create JSON",
        description="Declare an incident, in Slack's words (a severity, Sev3 if none is given,\n"
        "then the title; quotes optional) or as the guide's JSON (title, description,\n"
        "severity, components).",
        epilog="examples:\n"
        "  python -m bot incident create sev2 Qwen LLM failure\n"
        '  python -m bot incident create \'{"title": "Qwen down", "severity": "Sev2", '
        '"components": ["LLM"]}\'',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    words = create.add_argument(
        "words", nargs="+", metavar="TITLE", help="[sev1..sev4] and the title, or the JSON"
    )
    words.completer = _severity_first  # type: ignore[attr-defined]
    ack = _parser(verbs, "ack", "acknowledge an incident: you are on it")
    _incident_id(ack)
    ack.add_argument(
        "--responder",
        "--actor",
        dest="actor",
        required=True,
        metavar="NAME",
        help="who acknowledges it",
    )
    status = _parser(verbs, "status", "move an incident along its lifecycle")
    _incident_id(status)
    status.add_argument("status", choices=STATUSES, help="the new status")
    status.add_argument(
        "note", nargs="*", metavar="NOTE", help="for the timeline (resolved: what fixed it)"
    )
    _actor(status)
    sev = _parser(verbs, "sev", "change an incident's severity")
    _incident_id(sev)
    sev.add_argument("severity", type=str.lower, choices=SEVERITIES, help="the new severity")
    _actor(sev)
    for verb, text, metavar, what in (
        ("note", "add a note to an incident's timeline", "TEXT", "the note"),
        ("rootcause", "record an incident's root cause", "TEXT", "the root cause"),
        ("resolve", "resolve an incident, saying what fixed it", "RESOLUTION", "what fixed it"),
    ):
        parser = _parser(verbs, verb, text)
        _incident_id(parser)
        _text(parser, metavar, what)
        _actor(parser)
    close = _parser(verbs, "close", "close a resolved incident (Sev1/Sev2: postmortem first)")
    _incident_id(close)
    _actor(close)
    postmortem = _parser(
        verbs, "postmortem", "record an incident's postmortem, or print a draft to start from"
    )
    _incident_id(postmortem)
    postmortem.add_argument(
        "url", nargs="?", help="the postmortem's link; without it, print a draft from the timeline"
    )
    _actor(postmortem)
    show = _parser(verbs, "show", "one incident with its timeline")
    _incident_id(show)
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    explain = _parser(verbs, "explain", "why an incident was opened, and what joined it")
    _incident_id(explain)
    listing = _parser(verbs, "list", "the open incidents")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.add_argument("--all", action="store_true", help="include resolved and closed ones")
    report = _parser(verbs, "report", "counts, MTTA and MTTR over recent incidents")
    report.add_argument(
        "--days", type=int, default=30, help="look back this many days (0: all; default 30)"
    )


def _slo(commands: Any) -> None:
    slo = _parser(commands, "slo", "SLOs and error budgets")
    actions = slo.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (
        ("report", "the SLO & Error Budget Report"),
        ("check", "may we deploy? exit 0 allowed, 1 blocked, 2 cannot tell"),
    ):
        action = _parser(actions, name, text)
        action.add_argument("--json", action="store_true", help="print JSON instead of text")
        action.add_argument(
            "--at",
            type=_instant,
            metavar="TIME",
            help="evaluate at this ISO time (e.g. 2026-10-01T00:00:00Z) instead of now",
        )
    rules = _parser(actions, "rules", "Prometheus recording and burn-rate alert rules")
    rules.add_argument(
        "--output", type=Path, metavar="FILE", help="write to this file instead of stdout"
    )


def _oncall(commands: Any) -> None:
    oncall = _parser(commands, "oncall", "the on-call rotation")
    oncall.add_argument(
        "action",
        choices=["now", "schedule", "handoff", "report"],
        nargs="?",
        default="now",
        help="now: who is paged (default); schedule: the next four weeks; handoff: post the "
        "handoff now; report: the last shift's pages and MTTA",
    )
    oncall.add_argument(
        "--preview",
        action="store_true",
        help="with handoff: print the coming handoff here instead of posting it (no Slack needed)",
    )


def _runbook(commands: Any) -> None:
    runbook = _parser(commands, "runbook", "runbooks that act on the serving process")
    actions = runbook.add_subparsers(dest="action", required=True, metavar="ACTION")
    _parser(actions, "list", "the runbooks: how automatic they are, their steps")
    execute = _parser(
        actions,
        "execute",
        "run one now (one with an approval step needs Slack for its approver)",
        aliases=["run"],
    )
    execute.add_argument("name", metavar="NAME", help="the runbook, as `runbook list` names it")
    execute.add_argument("--dry-run", action="store_true", help="show every call, make none")
    execute.add_argument("--target", help="what to act on, when the runbook allows several")
    status = _parser(actions, "status", "where a run is: its steps and state")
    status.add_argument("run_id", metavar="RUN-ID", help="e.g. RUN-20261014-103000")
    status.add_argument(
        "--json",
        action="store_true",
        help="print JSON instead of text, with the serving process's whole answers",
    )
    cancel = _parser(actions, "cancel", "stop a run that has not finished")
    cancel.add_argument("run_id", metavar="RUN-ID", help="e.g. RUN-20261014-103000")
    cancel.add_argument("--reason", default="", help="why, for the run's record")
    _actor(cancel)
    health = _parser(
        commands,
        "health",
        "model health from the serving process: exit 0 when every model asked about can "
        "serve, 1 when one cannot, 2 when the serving process does not answer",
    )
    health.add_argument(
        "model", nargs="?", choices=HEALTH_MODELS, help="one model (default: all of them)"
    )


def _clock(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--clock-start",
        type=_instant,
        metavar="TIME",
        help="run the bot's clock from this ISO time (e.g. 2026-12-07T11:00:00+09:00) at real "
        "speed instead of the machine's time: for drills and tests",
    )
    # The wall time at which the clock read --clock-start (default: when the process starts);
    # processes given the same pair share one clock (serve --workers passes it on).
    parser.add_argument("--clock-anchor", type=_instant, help=argparse.SUPPRESS)


def parser() -> argparse.ArgumentParser:
    """``python -m bot``'s arguments: every command, option and help text."""
    top = argparse.ArgumentParser(
        prog="python -m bot",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument(
        "--config",
        metavar="PATH",
        help="the team's sre.yaml (default: $SRE_CONFIG, else ./sre.yaml)",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = _parser(commands, "serve", "run the Slack bot (HTTP, or Socket Mode)")
    serve.add_argument(
        "--with-scheduler",
        action="store_true",
        help="also run the scheduled duties in this process (the default without Redis)",
    )
    serve.add_argument("--host", default="0.0.0.0", help="where to listen (default 0.0.0.0)")
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="web processes sharing $PORT, one per core (default 1; more needs PostgreSQL)",
    )
    serve.add_argument(
        "--web-only",
        action="store_true",
        help="only verify, store and acknowledge Slack's requests; `python -m bot worker` "
        "processes do the work (needs PostgreSQL)",
    )
    # Set by ``--workers`` for each process it starts: bind with SO_REUSEPORT, as worker I.
    serve.add_argument("--as-worker", type=int, metavar="I", help=argparse.SUPPRESS)
    _clock(serve)
    _clock(
        _parser(
            commands,
            "worker",
            "do the work the web processes stored: answers, posts, alerts, runbook runs and "
            "the scheduled duties (needs PostgreSQL; several may run)",
        )
    )
    # The worker's name before it did more than the duties; kept so deployments still start.
    _clock(_parser(commands, "scheduler", "the former name of `worker`"))
    demo = _parser(
        commands, "demo", "the whole bot on this machine, in a local Slack in the browser ($PORT)"
    )
    demo.add_argument("--host", default="127.0.0.1", help="where the page listens")
    demo.add_argument("--verbose", action="store_true", help="log what the bot does")
    db = _parser(commands, "db", "the database schema")
    db.add_argument(
        "action",
        choices=["upgrade", "current"],
        help="upgrade: to this version's schema; current: say where it is",
    )
    _incident(commands)
    _slo(commands)
    _oncall(commands)
    _runbook(commands)
    return top
