"""Configuration: the environment (secrets, URLs) and ``sre.yaml`` (the team's policy).

Both are validated at start; a problem stops start-up with one message naming the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from bot.durations import parse_duration
from bot.errors import ConfigurationError
from bot.i18n import Language, parse_language
from bot.incidents.joining import DEFAULT_RELATED, DEFAULT_WITHIN, JoinRules
from bot.incidents.model import Severity
from bot.slack_ids import CHANNEL_ID, USER_ID, USERGROUP_ID
from bot.slo.definitions import SloDefinition, default_slos

if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    # PyYAML's safe loader on libyaml when it was built with it (its wheels are): several
    # times faster than the pure-Python parser, which every command pays for in sre.yaml.
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_DATABASE_URL = "sqlite:///artisan_sre.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):  # YAML reads an unquoted on/off/yes/no as a boolean
        raise ValueError("needs a duration such as 30s; on/off does not apply here")
    return parse_duration(str(value))


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _check_pattern(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"{value!r} is not a Slack {what} ID")
    return value


class Environment(BaseModel):
    """The process's environment: the variables by their exact names, read by
    ``load_environment`` from the mapping it is given, never behind its back."""

    model_config = ConfigDict(extra="ignore")

    SLACK_BOT_TOKEN: str | None = None
    SLACK_SIGNING_SECRET: str | None = None
    SLACK_APP_TOKEN: str | None = None
    SLACK_API_URL: str = DEFAULT_SLACK_API_URL
    DATABASE_URL: str = DEFAULT_DATABASE_URL
    REDIS_URL: str | None = None
    PROMETHEUS_URL: str | None = None
    SERVING_URL: str = "http://localhost:8000"
    # Seconds one call to the serving process may take (a read is tried 3 times).
    SERVING_TIMEOUT: float = Field(default=5.0, gt=0, le=120)
    ALERTMANAGER_TOKEN: str | None = None
    PORT: int = 3000
    # Set by ``serve --workers`` for its workers: where their metrics meet.
    PROMETHEUS_MULTIPROC_DIR: str | None = None
    SRE_CONFIG: str = "sre.yaml"
    LOG_LEVEL: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(lambda v: str(v).upper())
    ] = "INFO"
    LOG_FORMAT: Literal["text", "json"] = "text"

    @property
    def slack_configured(self) -> bool:
        return bool(self.SLACK_BOT_TOKEN)

    def missing_for_serve(self) -> list[str]:
        """Names of the variables ``serve`` cannot run without."""
        missing = []
        if not self.SLACK_BOT_TOKEN:
            missing.append("SLACK_BOT_TOKEN")
        if not self.SLACK_SIGNING_SECRET and not self.SLACK_APP_TOKEN:
            missing.append("SLACK_SIGNING_SECRET")
        return missing


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Channels(_Strict):
    """Where the bot posts. No defaults: a bot posting to channels nobody named posts nowhere,
    so ``serve`` and ``scheduler`` refuse to start until all three are set."""

    incidents: str = ""
    oncall: str = ""
    slo_digest: str = ""

    @field_validator("incidents", "oncall", "slo_digest")
    @classmethod
    def _channel(cls, value: str) -> str:
        return value and _check_pattern(value, CHANNEL_ID, "channel")

    @property
    def missing(self) -> list[str]:
        """The keys not set, as ``channels.<name>``."""
        names = ("incidents", "oncall", "slo_digest")
        return [f"channels.{name}" for name in names if not getattr(self, name)]


class SeverityPolicy(_Strict):
    respond_within: Duration


def _default_severities() -> dict[Severity, SeverityPolicy]:
    minutes = {Severity.SEV1: 15, Severity.SEV2: 30, Severity.SEV3: 60, Severity.SEV4: 240}
    return {sev: SeverityPolicy(respond_within=timedelta(minutes=m)) for sev, m in minutes.items()}


def _off(value: Any) -> Any:
    """``off`` (which YAML reads as false when unquoted) means the duty is not done: None."""
    if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
        return None
    return value


def _duration_or_off(value: Any) -> timedelta | None:
    value = _off(value)
    return None if value is None else _duration(value)


DurationOrOff = Annotated[timedelta | None, BeforeValidator(_duration_or_off)]


class JoinConfig(_Strict):
    """``incidents.join``: when a new signal joins an open incident instead of opening one
    (``bot/incidents/joining.py``; docs/guide.md#one-failure-one-incident)."""

    within: DurationOrOff = DEFAULT_WITHIN
    related: list[list[str]] = Field(
        default_factory=lambda: [list(group) for group in DEFAULT_RELATED]
    )

    @field_validator("related")
    @classmethod
    def _groups(cls, value: list[list[str]]) -> list[list[str]]:
        for group in value:
            if len([c for c in group if c.strip()]) < 2:
                raise ValueError(f"{group}: a group relates two or more components")
        return value

    @property
    def rules(self) -> JoinRules:
        return JoinRules.of(within=self.within, related=self.related)


class IncidentsConfig(_Strict):
    ack_reminder_every: Duration = timedelta(minutes=15)
    severities: dict[Severity, SeverityPolicy] = Field(default_factory=_default_severities)
    escalation_repeats: int = Field(default=5, ge=1, le=20)
    join: JoinConfig = Field(default_factory=JoinConfig)

    @field_validator("severities", mode="before")
    @classmethod
    def _fill_defaults(cls, value: Any) -> Any:
        """A team may override one severity; the others keep the guide's response times."""
        if not isinstance(value, dict):
            return value
        merged: dict[Any, Any] = {
            sev.value: policy for sev, policy in _default_severities().items()
        }
        merged.update({str(key).lower(): policy for key, policy in value.items()})
        return merged


class OncallConfig(_Strict):
    handoff: str = "FRI 17:00"
    weekday: list[str] = Field(default_factory=list)
    weekend: list[str] = Field(default_factory=list)
    user_group: str | None = None

    @field_validator("handoff")
    @classmethod
    def _handoff(cls, value: str) -> str:
        if not re.match(r"^(MON|TUE|WED|THU|FRI|SAT|SUN) ([01]\d|2[0-3]):[0-5]\d$", value.strip()):
            raise ValueError(f'{value!r} is not a handoff time: write e.g. "FRI 17:00"')
        return value.strip()

    @field_validator("weekday", "weekend")
    @classmethod
    def _users(cls, value: list[str]) -> list[str]:
        for user in value:
            _check_pattern(user, USER_ID, "user")
        return value

    @field_validator("user_group")
    @classmethod
    def _group(cls, value: str | None) -> str | None:
        return None if value is None else _check_pattern(value, USERGROUP_ID, "user group")


class RunbooksConfig(_Strict):
    approvers: list[str] = Field(default_factory=list)
    # A team's own runbooks (or replacements of shipped ones by name), validated at start
    # by bot.runbooks.definitions; the shape is that of bot/runbooks/defaults.yaml.
    definitions: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("approvers")
    @classmethod
    def _users(cls, value: list[str]) -> list[str]:
        for user in value:
            _check_pattern(user, USER_ID, "user")
        return value


def _default_alert_severities() -> dict[str, Severity]:
    """Today's map: the guide pages "critical" for a Qwen failure, which its severity table
    calls Sev2, so critical/page are Sev2 rather than Sev1 (docs/guide.md#severities)."""
    return {
        "critical": Severity.SEV2,
        "page": Severity.SEV2,
        "error": Severity.SEV3,
        "warning": Severity.SEV3,
        "ticket": Severity.SEV3,
        "info": Severity.SEV4,
    }


class AlertmanagerConfig(_Strict):
    """The ``POST /alertmanager`` intake.

    Closed by default: without ``ALERTMANAGER_TOKEN`` the route refuses unless
    ``open_without_token`` says, on purpose, that anyone who reaches the port may open
    incidents and start runbooks. ``severities`` maps an alert's ``severity`` label to an
    incident severity (an ``incident_severity`` label on the alert wins); ``otherwise`` is
    used for a label not in the map.
    """

    open_without_token: bool = False
    severities: dict[str, Severity] = Field(default_factory=_default_alert_severities)
    otherwise: Severity = Severity.SEV3

    @field_validator("severities")
    @classmethod
    def _lower(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        return {k.strip().lower(): v for k, v in value.items()}


def _cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a cron expression (minute hour day month weekday): {exc}"
        ) from None
    return value


class ScheduleConfig(_Strict):
    """When the scheduler does its duties; cron expressions are in ``timezone``.

    Each calendar or periodic duty may be ``off`` (None here): a deployment that drills or
    digests elsewhere turns it off, and tests pin every duty so the calendar never acts.
    """

    tick: Duration = timedelta(seconds=30)
    slo_digest: str | None = "0 10 * * mon"
    slo_status_every: DurationOrOff = timedelta(minutes=5)
    health_probe_every: DurationOrOff = timedelta(seconds=30)
    runbook_drill: str | None = "0 10 1-7 * mon"
    # Off: the handoff (oncall.handoff) still moves the rotation and the user group, silently.
    handoff_message: bool = True
    handoff_confirm_within: Duration = timedelta(minutes=30)
    leader_ttl: Duration = timedelta(seconds=15)
    post_timeout: Duration = timedelta(seconds=30)

    @field_validator("slo_digest", "runbook_drill", mode="before")
    @classmethod
    def _cron_or_off(cls, value: Any) -> Any:
        value = _off(value)
        return None if value is None else _cron(str(value))


class SreConfig(_Strict):
    """``sre.yaml``: the team's policy."""

    timezone: str = "Asia/Seoul"
    # The language of what the bot posts in channels (incident cards and their threads).
    locale: Language = Language.EN
    channels: Channels = Field(default_factory=Channels)
    incidents: IncidentsConfig = Field(default_factory=IncidentsConfig)
    oncall: OncallConfig = Field(default_factory=OncallConfig)
    runbooks: RunbooksConfig = Field(default_factory=RunbooksConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    alertmanager: AlertmanagerConfig = Field(default_factory=AlertmanagerConfig)
    slos: list[SloDefinition] = Field(default_factory=default_slos)
    # Display names by Slack user ID, for text that leaves Slack when Slack cannot be asked
    # (the shell without SLACK_BOT_TOKEN); with Slack, users.info names everyone else.
    people: dict[str, str] = Field(default_factory=dict)

    @field_validator("people")
    @classmethod
    def _people(cls, value: dict[str, str]) -> dict[str, str]:
        named = {}
        for user, name in value.items():
            _check_pattern(user, USER_ID, "user")
            if not name.strip():
                raise ValueError(f"{user}: needs a name, e.g. {user}: Minji Kim")
            named[user] = name.strip()
        return named

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Seoul)"
            ) from None
        return value

    @field_validator("locale", mode="before")
    @classmethod
    def _locale(cls, value: Any) -> Language:
        language = parse_language(value) if isinstance(value, str) else None
        if language is None:
            spoken = " or ".join(language.value for language in Language)
            raise ValueError(f"unknown locale {value!r} (the bot speaks {spoken})")
        return language

    @field_validator("slos")
    @classmethod
    def _unique_slo_names(cls, value: list[SloDefinition]) -> list[SloDefinition]:
        names = [slo.name for slo in value]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"SLO names must be unique; repeated: {', '.join(repeated)}")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def respond_within(self, severity: Severity) -> timedelta:
        return self.incidents.severities[severity].respond_within


def describe_validation_error(error: ValidationError, *, source: str) -> str:
    """One line per problem, each naming the key: ``sre.yaml: channels.incidents: ...``."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        lines.append(f"{source}: {key}: {message}")
    return "\n".join(lines)


class _UniqueKeyLoader(_SafeLoader):
    """YAML that refuses a key written twice in one mapping: the second copy would silently
    replace the first (a second ``schedule:`` block undoing the first one's settings)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` then a key of its own is an override, on purpose
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:
                continue  # an unhashable key: the base class names that mistake
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is written twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Commands that act on the team's policy (rotation, SLOs, runbooks, approvers): run against
# built-in defaults they would answer for another team, so a missing sre.yaml stops them.
POLICY_COMMANDS = frozenset({"serve", "scheduler", "oncall", "slo", "runbook"})


def policy_file_required(command: str, *, slack_configured: bool) -> bool:
    """Whether ``command`` must find its sre.yaml; a CLI that posts to Slack always must."""
    return command in POLICY_COMMANDS or slack_configured


def shell_config(env: Environment, command: str) -> SreConfig:
    """The sre.yaml a shell command works with: a CLI that posts to Slack needs the whole
    file, a command that reads policy needs its file; any other works with the defaults."""
    return load_config(
        env.SRE_CONFIG,
        required=env.slack_configured,
        must_exist=policy_file_required(command, slack_configured=env.slack_configured),
    )


def load_config(path: str | Path, *, required: bool = False, must_exist: bool = False) -> SreConfig:
    """Read and validate ``sre.yaml``. A missing file means the defaults, unless
    ``must_exist`` (a command that reads policy) or ``required`` (``serve``, ``scheduler``,
    a CLI that posts; the three channels must be set too): then it is an error that names
    the file."""
    source = Path(path)
    if not source.is_file():
        if required or must_exist:
            raise ConfigurationError(
                f"{source}: no such file. This command needs the team's sre.yaml (channels, "
                "rotation, SLOs, runbooks): pass --config PATH or set SRE_CONFIG to its path "
                "(the repository's sre.yaml is a complete, commented example)."
            )
        return SreConfig()
    try:
        raw = yaml.load(source.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{source}: the top level must be a mapping of keys")
    try:
        config = SreConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc, source=str(source))) from None
    if config.runbooks.definitions:
        # The runbook models are loaded only to check a team's own runbooks: most commands
        # never run one, and importing them is a noticeable share of a shell command's start.
        from bot.runbooks.definitions import parse_definitions

        parse_definitions(config.runbooks.definitions, source=f"{source}: runbooks.definitions")
    if required and config.channels.missing:
        raise ConfigurationError(
            "\n".join(
                f"{source}: {key}: not set (a Slack channel ID, e.g. C0123ABCD)"
                for key in config.channels.missing
            )
        )
    return config


def load_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """The ``Environment`` in ``environ`` (default: this process's), validated."""
    source = os.environ if environ is None else environ
    try:
        return Environment.model_validate(
            {name: source[name] for name in Environment.model_fields if name in source}
        )
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc, source="environment")) from None
