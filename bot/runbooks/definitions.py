"""Runbook definitions as data: the shape of a runbook, validated with messages naming the key.

The shipped runbooks (docs/guide.md#runbooks) are ``defaults.yaml`` next to this file; a team adds
or replaces one under ``runbooks.definitions`` in sre.yaml, same shape, no code.
Strings may refer to run values as ``{name}``: the run's id/target/requester/incident,
its declared inputs, and what earlier checks found (each check kind lists its outputs).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from bot.errors import ConfigurationError
from bot.runbooks.steps import (
    ActionStep,
    ApprovalStep,
    Check,
    CheckStep,
    Duration,
    Name,
    OpenIncidentStep,
    StepSpec,
    StrictModel,
    Text,
)


class Automation(StrEnum):
    AUTOMATIC = "automatic"
    SEMI_AUTOMATIC = "semi_automatic"
    MANUAL = "manual"


BUILTIN_VALUES = ("run_id", "runbook", "target", "requester", "started_by", "incident_id")


class RunbookDefinition(StrictModel):
    name: Name
    description: Text
    trigger: str = ""
    automation: Automation = Automation.MANUAL
    target: Name
    targets: list[Name] = Field(default_factory=list)  # others it may be started against
    expected_recovery: Duration | None = None
    inputs: dict[Name, str] = Field(default_factory=dict)  # name -> what it means
    manual_steps: list[str] = Field(default_factory=list)
    not_needed_when: list[Check] = Field(default_factory=list, max_length=10)
    """Read before the first step: when every one holds, the runbook's effect is already in
    place and the run ends "not needed", having changed nothing and told nobody."""
    steps: list[StepSpec] = Field(min_length=1, max_length=50)

    @property
    def allowed_targets(self) -> list[str]:
        return [self.target, *(t for t in self.targets if t != self.target)]

    @property
    def needs_approval(self) -> bool:
        return any(isinstance(step, ApprovalStep) for step in self.steps)

    @model_validator(mode="after")
    def _steps_fit_together(self) -> RunbookDefinition:
        seen: set[str] = set()
        known = set(BUILTIN_VALUES) | set(self.inputs)
        for index, check in enumerate(self.not_needed_when):
            for name in sorted(references(check)):
                if name not in known:
                    raise ValueError(
                        f"not_needed_when.{index} ({check.kind}): {{{name}}} is not known "
                        f"before the first step (known: {', '.join(sorted(known))})"
                    )
        for index, step in enumerate(self.steps):
            if step.id in seen:
                raise ValueError(f"steps.{index}.id: {step.id!r} is used by an earlier step")
            seen.add(step.id)
            for name in sorted(references(step)):
                if name not in known:
                    raise ValueError(
                        f"steps.{index} ({step.id}): {{{name}}} is not known at this step "
                        f"(known: {', '.join(sorted(known))})"
                    )
            known |= set(outputs(step))
        return self


def outputs(step: StepSpec) -> tuple[str, ...]:
    """The run values a step produces for later steps."""
    if isinstance(step, CheckStep):
        return step.check.OUTPUTS
    if isinstance(step, ActionStep):
        return step.action.OUTPUTS
    if isinstance(step, OpenIncidentStep):
        return ("incident_id",)
    return ()


def references(step: BaseModel) -> set[str]:
    """Names a step refers to as ``{name}`` in any of its strings (its title excluded)."""
    names: set[str] = set()
    for text in _strings(step.model_dump(mode="json", exclude={"title"})):
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError:
            raise ValueError(f"{text!r}: a lone {{ or }}; write {{{{ or }}}} for a brace") from None
        names.update(field_name for _, field_name, _, _ in parsed if field_name is not None)
    return names


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class DefinitionError(ConfigurationError):
    """A runbook definition is invalid; the message names the key and the problem."""


_STEP_TYPES = {"check", "action", "approval", "notify", "open_incident"}


def _key(loc: Sequence[int | str]) -> str:
    """``steps.0.action.kind``: pydantic's union tags (``steps.0.action.action.set_breaker``)
    are dropped, so the key reads as the YAML is written."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        before = loc[i - 1] if i else None
        is_step_tag = isinstance(before, int) and part in _STEP_TYPES and loc[0] == "steps"
        is_kind_tag = before in ("check", "action") and i >= 2 and loc[i - 2] == before
        is_need_tag = loc[0] == "not_needed_when" and i == 2 and isinstance(before, int)
        if not (is_step_tag or is_kind_tag or is_need_tag):
            parts.append(str(part))
    return ".".join(parts)


def _describe(error: ValidationError, *, where: str) -> str:
    lines = []
    for problem in error.errors():
        key = _key(problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        lines.append(f"{where}{'.' + key if key else ''}: {message}")
    return "\n".join(lines)


def parse_definitions(raw: Sequence[Any], *, source: str) -> list[RunbookDefinition]:
    """Validate a list of runbook mappings; names must be unique within the list."""
    parsed: list[RunbookDefinition] = []
    problems: list[str] = []
    for index, item in enumerate(raw):
        label = item.get("name") if isinstance(item, Mapping) else None
        where = f"{source}[{index}]" + (f" ({label})" if isinstance(label, str) else "")
        if not isinstance(item, Mapping):
            problems.append(f"{where}: a runbook must be a mapping of keys")
            continue
        try:
            definition = RunbookDefinition.model_validate(dict(item))
        except ValidationError as exc:
            problems.append(_describe(exc, where=where))
            continue
        if any(d.name == definition.name for d in parsed):
            problems.append(f"{where}.name: {definition.name!r} is defined twice")
            continue
        parsed.append(definition)
    if problems:
        raise DefinitionError("\n".join(problems))
    return parsed


def default_definitions() -> list[RunbookDefinition]:
    """The shipped runbooks (``bot/runbooks/defaults.yaml``; docs/guide.md#runbooks)."""
    text = resources.files("bot.runbooks").joinpath("defaults.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return parse_definitions(raw, source="bot/runbooks/defaults.yaml")


def load_definitions(
    extra: Sequence[Any] = (), *, source: str = "sre.yaml: runbooks.definitions"
) -> dict[str, RunbookDefinition]:
    """The shipped runbooks plus a team's own; a team's runbook replaces a shipped one of
    the same name (to tune a threshold without code). Raises DefinitionError."""
    catalog = {d.name: d for d in default_definitions()}
    for definition in parse_definitions(list(extra), source=source):
        catalog[definition.name] = definition
    return catalog
