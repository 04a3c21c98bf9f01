"""Every command's arguments and help, from light modules only.

``python -m bot --help`` (and a shell's tab completion) builds this parser and nothing else:
it must not import the app, Slack, the database or pydantic, so it stays fast.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from bot.commands.parsers import ShellParser
from bot.i18n import ENGLISH, N_, Language, Words

DESCRIPTION = N_("""\
Serve the Artisan SRE bot, and run the SRE practice from a shell: declare, acknowledge
and resolve incidents, check SLOs and error budgets, see who is on call, run runbooks.

Exit codes: 0 done; 1 refused (the request was understood but the state does not allow
it, or a check failed); 2 bad input (a usage mistake, a malformed ID, a missing text,
an invalid configuration) or no verdict (Prometheus or the serving process did not
answer `slo check` or `health`).""")

EPILOG = N_("Each command has its own help: {example}")

INCIDENT_VERBS = (
    "create, ack, status, sev, note, rootcause, resolve, close, postmortem, show, list, report"
)
STATUSES = ("investigating", "mitigated", "resolved")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
# The serving process's models (bot.serving.models.MODELS, which imports pydantic; a test
# keeps the two equal).
HEALTH_MODELS = ("qwen", "mistral", "llama")
MAX_WORKERS = 64
EXAMPLE_ID = "INC-20261014-103000"


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


def _language(text: str, *, words: Words) -> Language:
    try:
        return Language(text.lower())
    except ValueError:
        raise argparse.ArgumentTypeError(
            words.gettext(
                "{text} is not a language the shell speaks: ko (Korean) or en (English)",
                text=repr(text),
            )
        ) from None


def _parser(commands: Any, name: str, text: str, **kwargs: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=text,
        description=kwargs.pop("description", text[:1].upper() + text[1:] + "."),
        **kwargs,
    )
    return parser


def _actor(parser: argparse.ArgumentParser, words: Words) -> None:
    parser.add_argument(
        "--actor",
        "--responder",
        dest="actor",
        default="cli",
        metavar="NAME",
        help=words.gettext("who does this, as the timeline records it (default: cli)"),
    )


def _incident_id(parser: argparse.ArgumentParser, words: Words) -> None:
    parser.add_argument(
        "incident_id", metavar="INC-ID", help=words.gettext("e.g. {example}", example=EXAMPLE_ID)
    )


def _text(parser: argparse.ArgumentParser, metavar: str, text: str, words: Words) -> None:
    parser.add_argument(
        "text",
        nargs="+",
        metavar=metavar,
        help=words.gettext("{what} (quotes optional)", what=text),
    )


def _incident(commands: Any, words: Words) -> None:
    _ = words.gettext
    incident = _parser(
        commands,
        "incident",
        _("declare and run incidents"),
        description=_(
            "Declare and run incidents; the same words as /incident in Slack: {verbs}.",
            verbs=INCIDENT_VERBS,
        ),
    )
    verbs = incident.add_subparsers(dest="action", required=True, metavar="VERB")
    create = _parser(
        verbs,
        "create",
        _("declare an incident: sev2 <title>, as in Slack, or the guide's JSON"),
        usage="python -m bot incident create [sev1|sev2|sev3|sev4] TITLE...\n"
        "       python -m bot incident create JSON",
        description=_(
            "Declare an incident, in Slack's words (a severity, Sev3 if none is given,\n"
            "then the title; quotes optional) or as the guide's JSON (title, description,\n"
            "severity, components)."
        ),
        epilog=_("examples:") + "\n"
        "  python -m bot incident create sev2 Qwen LLM failure\n"
        '  python -m bot incident create \'{"title": "Qwen down", "severity": "Sev2", '
        '"components": ["LLM"]}\'',
        raw_description=True,
    )
    title = create.add_argument(
        "words", nargs="+", metavar="TITLE", help=_("[sev1..sev4] and the title, or the JSON")
    )
    title.completer = _severity_first  # type: ignore[attr-defined]
    ack = _parser(verbs, "ack", _("acknowledge an incident: you are on it"))
    _incident_id(ack, words)
    ack.add_argument(
        "--responder",
        "--actor",
        dest="actor",
        required=True,
        metavar="NAME",
        help=_("who acknowledges it"),
    )
    status = _parser(verbs, "status", _("move an incident along its lifecycle"))
    _incident_id(status, words)
    status.add_argument("status", choices=STATUSES, help=_("the new status"))
    status.add_argument(
        "note", nargs="*", metavar="NOTE", help=_("for the timeline (resolved: what fixed it)")
    )
    _actor(status, words)
    sev = _parser(verbs, "sev", _("change an incident's severity"))
    _incident_id(sev, words)
    sev.add_argument("severity", type=str.lower, choices=SEVERITIES, help=_("the new severity"))
    _actor(sev, words)
    for verb, text, metavar, what in (
        ("note", _("add a note to an incident's timeline"), "TEXT", _("the note")),
        ("rootcause", _("record an incident's root cause"), "TEXT", _("the root cause")),
        (
            "resolve",
            _("resolve an incident, saying what fixed it"),
            "RESOLUTION",
            _("what fixed it"),
        ),
    ):
        parser = _parser(verbs, verb, text)
        _incident_id(parser, words)
        _text(parser, metavar, what, words)
        _actor(parser, words)
    close = _parser(verbs, "close", _("close a resolved incident (Sev1/Sev2: postmortem first)"))
    _incident_id(close, words)
    _actor(close, words)
    postmortem = _parser(
        verbs, "postmortem", _("record an incident's postmortem, or print a draft to start from")
    )
    _incident_id(postmortem, words)
    postmortem.add_argument(
        "url",
        nargs="?",
        help=_("the postmortem's link; without it, print a draft from the timeline"),
    )
    _actor(postmortem, words)
    show = _parser(verbs, "show", _("one incident with its timeline"))
    _incident_id(show, words)
    show.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    explain = _parser(verbs, "explain", _("why an incident was opened, and what joined it"))
    _incident_id(explain, words)
    listing = _parser(verbs, "list", _("the open incidents"))
    listing.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    listing.add_argument("--all", action="store_true", help=_("include resolved and closed ones"))
    report = _parser(verbs, "report", _("counts, MTTA and MTTR over recent incidents"))
    report.add_argument(
        "--days", type=int, default=30, help=_("look back this many days (0: all; default 30)")
    )


def _slo(commands: Any, words: Words) -> None:
    slo = _parser(commands, "slo", words.gettext("SLOs and error budgets"))
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


def _oncall(commands: Any, words: Words) -> None:
    oncall = _parser(commands, "oncall", words.gettext("the on-call rotation"))
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


def _runbook(commands: Any, words: Words) -> None:
    runbook = _parser(
        commands, "runbook", words.gettext("runbooks that act on the serving process")
    )
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
    _actor(cancel, words)
    health = _parser(
        commands,
        "health",
        words.gettext(
            "model health from the serving process: exit 0 when every model asked about can "
            "serve, 1 when one cannot, 2 when the serving process does not answer"
        ),
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


def parser(words: Words = ENGLISH) -> argparse.ArgumentParser:
    """``python -m bot``'s arguments: every command, option and help text, in ``words``'
    language (the top level and ``incident``; the other commands' options are English)."""
    _ = words.gettext
    top = ShellParser(
        prog="python -m bot",
        description=_(DESCRIPTION),
        epilog=_(EPILOG, example="python -m bot incident --help"),
        raw_description=True,
        words=words,
    )
    top.add_argument(
        "--config",
        metavar="PATH",
        help=_("the team's sre.yaml (default: $SRE_CONFIG, else ./sre.yaml)"),
    )
    top.add_argument(
        "--lang",
        type=partial(_language, words=words),
        metavar="ko|en",
        help=_(
            "the language the shell speaks: ko (Korean) or en (English); default: from "
            "LC_ALL, LC_MESSAGES or LANG (ko_KR.UTF-8: Korean), else English"
        ),
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = _parser(commands, "serve", _("run the Slack bot (HTTP, or Socket Mode)"))
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
            _(
                "do the work the web processes stored: answers, posts, alerts, runbook runs "
                "and the scheduled duties (needs PostgreSQL; several may run)"
            ),
        )
    )
    # The worker's name before it did more than the duties; kept so deployments still start.
    _clock(_parser(commands, "scheduler", _("the former name of `worker`")))
    demo = _parser(
        commands,
        "demo",
        _("the whole bot on this machine, in a local Slack in the browser ($PORT)"),
    )
    demo.add_argument("--host", default="127.0.0.1", help="where the page listens")
    demo.add_argument("--verbose", action="store_true", help="log what the bot does")
    db = _parser(commands, "db", _("the database schema"))
    db.add_argument(
        "action",
        choices=["upgrade", "current"],
        help="upgrade: to this version's schema; current: say where it is",
    )
    _incident(commands, words)
    _slo(commands, words)
    _oncall(commands, words)
    _runbook(commands, words)
    return top
