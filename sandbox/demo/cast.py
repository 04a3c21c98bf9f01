"""The demo's people and what the page offers them: who may act as whom, and the commands.

People come from the demo's ``sre.yaml`` (the rotations and the approvers) plus one
bystander with no role, so four-eyes approval and "someone else acknowledged first" can be
tried by switching person on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.settings import SreConfig

BYSTANDER = "U0FFF"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: list[str] = field(default_factory=list)


def cast(config: SreConfig, names: dict[str, str]) -> list[Person]:
    """Everyone in a rotation or approving, in rotation order, then the bystander."""
    order = [*config.oncall.weekday, *config.oncall.weekend, *config.runbooks.approvers]
    people = []
    for user in dict.fromkeys([*order, BYSTANDER]):
        roles = []
        if user in config.oncall.weekday:
            roles.append("weekday on-call")
        if user in config.oncall.weekend:
            roles.append("weekend on-call")
        if user in config.runbooks.approvers:
            roles.append("approver")
        people.append(Person(user, names.get(user, user), roles or ["bystander"]))
    return people


@dataclass(frozen=True)
class Suggestion:
    """A line the composer offers while typing, and what it does."""

    text: str
    hint: str


SUGGESTIONS: tuple[Suggestion, ...] = (
    Suggestion("/incident create sev2 ", "declare an incident: severity, then title"),
    Suggestion("/incident create", "no arguments: the form"),
    Suggestion("/incident ack ", "acknowledge [INC-ID]"),
    Suggestion("/incident list", "open incidents"),
    Suggestion("/incident show ", "<INC-ID>: one incident with its timeline"),
    Suggestion("/incident status ", "<INC-ID> investigating|mitigated|resolved [note]"),
    Suggestion("/incident resolve ", "<INC-ID> <what fixed it>"),
    Suggestion("/incident postmortem ", "<INC-ID> [url]: no url posts a draft"),
    Suggestion("/incident report", "counts, MTTA, MTTR, postmortems due"),
    Suggestion("/incident help", "every /incident subcommand"),
    Suggestion("/oncall", "who is paged now, both pools, the next handoff"),
    Suggestion("/oncall schedule", "the next four weeks"),
    Suggestion("/oncall handoff", "post the handoff message now"),
    Suggestion("/oncall report", "pages per person, out-of-hours pages"),
    Suggestion("/slo check", "may we deploy?"),
    Suggestion("/slo report", "every SLO's error budget"),
    Suggestion("/slo llm_creative_latency", "one SLO with its burn rates"),
    Suggestion("/runbook list", "the runbooks and their steps"),
    Suggestion("/runbook run rl_reward_runaway_rollback", "roll PPO back (needs an approver)"),
    Suggestion("/runbook run qwen_failure_downshift --dry-run", "every call, none made"),
    Suggestion("/runbook run api_high_latency_scaleup", "scale the API up"),
    Suggestion("/health", "model health from the serving process"),
    Suggestion("/health qwen", "one model's health"),
)

TOUR = (
    "Type /incident create sev2 Checkout errors in #incidents and press Enter.",
    "Switch “You are” to another person and press Acknowledge on the card.",
    "Declare a second incident, then “Skip 15 minutes”: the reminder lands in its thread.",
    "Press “Make the RL reward run away”, run /runbook run rl_reward_runaway_rollback, "
    "then approve it as a second approver.",
    "“Next handoff” jumps to Friday 17:00: the handoff arrives in #oncall.",
)
