"""Configuration: the shipped example loads; mistakes name the key and the problem."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.i18n import Language
from bot.incidents.model import Severity
from bot.settings import Environment, load_config

REPO = Path(__file__).resolve().parents[1]


def test_the_shipped_example_is_valid() -> None:
    config = load_config(REPO / "sre.yaml")
    assert config.timezone == "Asia/Seoul"
    assert config.locale is Language.EN
    assert config.respond_within(Severity.SEV1) == timedelta(minutes=15)
    assert config.incidents.ack_reminder_every == timedelta(minutes=15)
    assert config.oncall.handoff == "FRI 17:00"
    assert config.people["U0AAA"] == "Alice"  # example names, for the shell without Slack


def test_a_missing_file_means_the_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.yaml")
    assert config.respond_within(Severity.SEV4) == timedelta(hours=4)
    assert config.locale is Language.EN


@pytest.mark.parametrize("written", ["ko", "KO", "ko_KR.UTF-8"])
def test_the_channels_language_is_korean_when_asked(tmp_path: Path, written: str) -> None:
    path = tmp_path / "sre.yaml"
    path.write_text(f"locale: {written}\n")
    assert load_config(path).locale is Language.KO


def test_one_severity_overridden_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "sre.yaml"
    path.write_text("incidents:\n  severities:\n    sev2: {respond_within: 20m}\n")
    config = load_config(path)
    assert config.respond_within(Severity.SEV2) == timedelta(minutes=20)
    assert config.respond_within(Severity.SEV1) == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("timezone: Mars/Olympus\n", "timezone: unknown time zone 'Mars/Olympus'"),
        (
            "channels: {incidents: '#incidents'}\n",
            "channels.incidents: '#incidents' is not a Slack channel ID",
        ),
        (
            "incidents: {ack_reminder_every: 0m}\n",
            "incidents.ack_reminder_every: invalid duration '0m': must be greater than zero",
        ),
        ("oncall: {handoff: 'Friday 5pm'}\n", "oncall.handoff: 'Friday 5pm' is not a handoff time"),
        ("oncall: {weekday: [alice]}\n", "oncall.weekday: 'alice' is not a Slack user ID"),
        ("runbooks: {approvers: [U0AAA], aprovers: []}\n", "runbooks.aprovers: unknown key"),
        (
            "incidents:\n  severities:\n    sev5: {respond_within: 1m}\n",
            "incidents.severities.sev5",
        ),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("channels: {incidents: [\n", "not valid YAML"),
        ("schedule: {runbook_drill: monthly}\n", "schedule.runbook_drill: 'monthly' is not a cron"),
        ("schedule: {slo_digest: true}\n", "schedule.slo_digest: 'True' is not a cron"),
        ("schedule: {health_probe_every: never}\n", "invalid duration 'never'"),
        (
            "schedule: {tick: off}\n",
            "schedule.tick: needs a duration such as 30s; on/off does not apply",
        ),
        ("schedule: {handoff_message: sometimes}\n", "schedule.handoff_message"),
        (
            "schedule: {tick: 1s}\noncall: {handoff: FRI 17:00}\nschedule: {runbook_drill: off}\n",
            "'schedule' is written twice",
        ),
        ("people: {alice: Alice}\n", "people: 'alice' is not a Slack user ID"),
        ("people: {U0AAA: ' '}\n", "people: U0AAA: needs a name"),
        ("locale: fr\n", "locale: unknown locale 'fr' (the bot speaks en or ko)"),
        ("locale: 7\n", "locale: unknown locale 7 (the bot speaks en or ko)"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "sre.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigurationError) as raised:
        load_config(path)
    assert message in raised.value.message
    assert str(path) in raised.value.message


@pytest.mark.parametrize("off", ["off", "'off'", "OFF", "false"])
def test_each_calendar_and_periodic_duty_can_be_turned_off(tmp_path: Path, off: str) -> None:
    path = tmp_path / "sre.yaml"
    duties = ("slo_digest", "runbook_drill", "health_probe_every", "slo_status_every")
    path.write_text(
        "schedule:\n"
        + "".join(f"  {duty}: {off}\n" for duty in duties)
        + f"  handoff_message: {off}\n"
    )
    schedule = load_config(path).schedule
    assert [getattr(schedule, duty) for duty in duties] == [None] * 4
    assert schedule.handoff_message is False
    assert load_config(REPO / "sre.yaml").schedule.handoff_message is True  # on by default


def test_serve_needs_a_token_and_a_secret_or_socket_mode() -> None:
    assert Environment(SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="").missing_for_serve() == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ]
    assert (
        Environment(
            SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1", SLACK_SIGNING_SECRET=""
        ).missing_for_serve()
        == []
    )
