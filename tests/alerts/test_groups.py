"""Alert groups: one incident per group episode, later alerts in its thread, duplicates silent."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.intake import AlertIntake, SeverityMap
from bot.alerts.model import AlertNotification
from bot.incidents.model import IncidentStatus, Severity
from tests.alerts.conftest import alert, incidents, notification, notifications, post, settled
from tests.slack.conftest import Bot
from tests.support.cli import invoke


def _thread(bot: Bot) -> tuple[Any, list[Any]]:
    cards = bot.emulator.messages(bot.incidents_channel)
    assert len(cards) == 1
    return cards[0], bot.emulator.replies(cards[0].channel, cards[0].ts)


@pytest.mark.engine
async def test_the_fixture_posted_twice_opens_one_incident_listing_its_firing_alert(
    bot: Bot, firing: dict[str, Any]
) -> None:
    quiet = copy.deepcopy(firing)
    for each in quiet["alerts"]:
        each["annotations"].pop("runbook")
    status, first = await post(bot.url, quiet)
    assert status == 200 and first["opens_incident"] and first["firing"] == ["5b2f0c8e1d4a7f36"]
    status, again = await post(bot.url, quiet)
    assert status == 200 and not again["opens_incident"] and again["notification"] is None
    assert again["firing"] == [] and again["duplicates"] == 2
    await settled(bot)
    [incident] = await incidents(bot)
    assert incident.title == "Qwen model failed health checks 3 times in a row"
    assert incident.severity == "sev2" and incident.components == ["model-serving", "qwen"]
    card, replies = _thread(bot)
    card_text = str(card.blocks)
    assert "Firing alerts* (1)" in card_text and "QwenHealthCheckFailing" in card_text
    assert [r for r in replies if r.ts != card.ts] == []
    assert len(await notifications(bot)) == 1
    assert bot.emulator.violations == []


@pytest.mark.engine
async def test_a_later_alert_of_the_group_is_one_thread_reply_not_an_incident(
    bot: Bot,
) -> None:
    await post(bot.url, notification("Latency", [alert("a1")]))
    await settled(bot)
    status, answer = await post(
        bot.url,
        notification(
            "Latency",
            [alert("a1"), alert("a2", severity="critical"), alert("a3", summary="<!channel> x")],
        ),
    )
    assert status == 200 and not answer["opens_incident"] and answer["firing"] == ["a2", "a3"]
    await settled(bot)
    [incident] = await incidents(bot)
    assert answer["incident"] == incident.id
    assert incident.severity == "sev2"  # the highest of the group's alerts
    card, replies = _thread(bot)
    [reply] = [r for r in replies if r.ts != card.ts]
    assert "2 more alert(s) firing" in str(reply.blocks)
    assert "&lt;!channel&gt;" in str(reply.blocks) and "<!channel>" not in str(reply.blocks)
    stored = await bot.container.incidents.get(incident_id=incident.id)
    assert any("Also firing (2)" in e.note for e in stored.timeline)
    assert "Firing alerts* (3)" in str(bot.emulator.message(card.channel, card.ts).blocks)


@pytest.mark.engine
async def test_a_resolved_alert_sent_ten_times_is_noted_once(bot: Bot) -> None:
    await post(bot.url, notification("Disk", [alert("d1"), alert("d2")]))
    resolved = notification("Disk", [alert("d1", status="resolved"), alert("d2")])
    answers = [await post(bot.url, resolved) for _ in range(10)]
    assert [a["resolved"] for _, a in answers] == [["d1"]] + [[]] * 9
    await settled(bot)
    [incident] = await incidents(bot)
    stored = await bot.container.incidents.get(incident_id=incident.id)
    assert len([e for e in stored.timeline if "Resolved in Alertmanager" in e.note]) == 1
    card, replies = _thread(bot)
    assert len([r for r in replies if r.ts != card.ts]) == 1
    assert stored.status is IncidentStatus.OPEN  # a person resolves the incident


@pytest.mark.engine
async def test_a_group_firing_again_after_it_resolved_opens_a_new_incident(bot: Bot) -> None:
    await post(bot.url, notification("Queue", [alert("q1")]))
    await post(bot.url, notification("Queue", [alert("q1", status="resolved")]))
    # Another Alertmanager stamps its own startsAt: the fingerprint is what counts.
    status, again = await post(
        bot.url, notification("Queue", [alert("q1", starts_at="2026-08-20T10:00:00Z")])
    )
    assert status == 200 and again["opens_incident"]
    await settled(bot)
    assert len(await incidents(bot)) == 2


@pytest.mark.engine
async def test_an_alert_known_by_its_fingerprint_whatever_its_start_time(bot: Bot) -> None:
    await post(bot.url, notification("Qwen", [alert("f1")]))
    status, other = await post(
        bot.url, notification("Qwen", [alert("f1", starts_at="2026-08-20T09:14:09.000Z")])
    )
    assert status == 200 and other["firing"] == [] and other["duplicates"] == 1
    await settled(bot)
    assert len(await incidents(bot)) == 1


@pytest.mark.engine
async def test_truncated_alerts_and_clipped_fields_are_said_in_the_incident(bot: Bot) -> None:
    long = alert("long", summary="s" * 5000, labels={"model": "m" * 200, "job": "j" * 200})
    status, answer = await post(bot.url, notification("Big", [long, alert("ok")], truncated=7))
    assert status == 200 and sorted(answer["firing"]) == ["long", "ok"] and answer["clipped"]
    await settled(bot)
    [incident] = await incidents(bot)
    stored = await bot.container.incidents.get(incident_id=incident.id)
    notes = " ".join(e.note for e in stored.timeline)
    assert "left 7 alerts of this group out" in notes and "Clipped to fit: summary" in notes
    assert "label model (200 characters, kept 64)" in notes
    assert bot.emulator.violations == []


@pytest.mark.engine
async def test_a_resolved_alert_for_a_closed_incident_is_answered_and_ignored(
    bot: Bot,
) -> None:
    await post(bot.url, notification("Closed", [alert("c1", severity="info"), alert("c2")]))
    await settled(bot)
    [incident] = await incidents(bot)
    service = bot.container.incidents
    await service.resolve(incident_id=incident.id, resolution="fixed by hand", actor="U0AAA")
    await service.close_incident(incident.id, "U0AAA")
    status, answer = await post(
        bot.url, notification("Closed", [alert("c1", status="resolved"), alert("c2")])
    )
    assert status == 200 and answer["resolved"] == ["c1"]
    await settled(bot)
    assert [n.state for n in await notifications(bot)] == ["done", "done"]
    stored = await service.get(incident_id=incident.id)
    assert stored.status is IncidentStatus.CLOSED
    assert not any("Resolved in Alertmanager" in e.note for e in stored.timeline)


@pytest.mark.engine
async def test_a_new_alert_in_a_group_whose_incident_was_closed_opens_one_that_follows_it(
    bot: Bot,
) -> None:
    await post(bot.url, notification("Reclosed", [alert("r1")]))
    await settled(bot)
    [closed] = await incidents(bot)
    service = bot.container.incidents
    await service.resolve(incident_id=closed.id, resolution="looked fine", actor="U0AAA")
    await service.close_incident(closed.id, "U0AAA")
    # r1 still fires; r2 fires anew (sent twice, as two Alertmanagers of a pair would).
    again = notification("Reclosed", [alert("r1"), alert("r2", severity="critical")])
    for _ in range(2):
        status, _answer = await post(bot.url, again)
        assert status == 200
    await settled(bot)
    rows = await incidents(bot)
    assert len(rows) == 2, [(r.id, r.status) for r in rows]
    [follower] = [r for r in rows if r.id != closed.id]
    assert follower.description.startswith(f"Follows {closed.id}, closed while"), follower
    assert follower.status == "open"
    assert (await service.get(incident_id=closed.id)).status is IncidentStatus.CLOSED
    cards = bot.emulator.messages(bot.incidents_channel)
    assert [follower.id in str(c.blocks) for c in cards] == [False, True]
    # Its group's later alerts go to it.
    await post(bot.url, notification("Reclosed", [alert("r1"), alert("r2"), alert("r3")]))
    await settled(bot)
    assert len(await incidents(bot)) == 2
    stored = await service.get(incident_id=follower.id)
    assert any("r3" in e.note or "Fired" in e.note for e in stored.timeline[1:]), stored.timeline


async def test_an_slo_incident_is_about_what_the_slo_measures_and_the_page_retitles_it(
    bot: Bot, tmp_path: Path
) -> None:
    def burn(severity: str, speed: str) -> dict[str, Any]:
        return alert(
            f"slo-{severity}",
            name="SLOErrorBudgetBurn",
            severity=severity,
            summary=f"LLM Fast Mode Latency (p95): error budget burning {speed} ({severity})",
            labels={"slo": "llm_fast_latency"},
        )

    await post(bot.url, notification("SLOErrorBudgetBurn", [burn("ticket", "slowly")]))
    await settled(bot)
    [ticket] = await incidents(bot)
    assert ticket.severity == "sev3" and ticket.title.endswith("burning slowly (ticket)")
    assert ticket.components == ["LLM", "fast mode"]  # sre.yaml's, not []
    page = notification("SLOErrorBudgetBurn", [burn("ticket", "slowly"), burn("page", "fast")])
    await post(bot.url, page)
    await settled(bot)
    [raised] = await incidents(bot)
    assert raised.severity == "sev2"
    assert raised.title == "LLM Fast Mode Latency (p95): error budget burning fast (page)"
    stored = await bot.container.incidents.get(incident_id=raised.id)
    notes = [e.note for e in stored.timeline]
    assert any("burning fast (page)" in n and n.startswith("Also firing") for n in notes), notes
    assert any(n.startswith("Sev3 → Sev2; title: ") for n in notes), notes

    # The shell says where it came from and what joined it.
    env = {"DATABASE_URL": bot.container.db.url, "SRE_CONFIG": str(tmp_path / "absent.yaml")}
    env |= {"SLACK_BOT_TOKEN": "", "REDIS_URL": ""}
    code, out, err = await invoke("incident", "explain", raised.id, env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].startswith("   Opened ") and lines[1].endswith("UTC by Alertmanager"), out
    assert "Firing (1): SLOErrorBudgetBurn" in lines[2] and "slowly (ticket)" in lines[2], out
    assert lines[3] == "   Then:", out
    assert "Alertmanager: alerts — Also firing (1)" in out and "fast (page)" in out, out
    assert "Alertmanager: severity changed — Sev3 → Sev2" in out, out


async def test_a_thousand_alerts_are_answered_after_storing_and_worked_after(bot: Bot) -> None:
    many = [alert(f"m{n}", summary="x" * (5000 if n == 0 else 50)) for n in range(1000)]
    status, answer = await post(bot.url, notification("Thousand", many))
    assert status == 200 and answer["opens_incident"] and len(answer["firing"]) == 1000
    assert len(await notifications(bot)) == 1  # stored before the answer
    await settled(bot)
    assert len(await incidents(bot)) == 1
    card = bot.emulator.messages(bot.incidents_channel)[0]
    assert "Firing alerts* (1000)" in str(card.blocks) and "_and 990 more_" in str(card.blocks)
    assert bot.emulator.violations == []


async def test_a_notification_stored_by_a_process_that_died_is_worked_at_start(
    bot: Bot,
) -> None:
    await bot.container.alert_work.stop()
    # Stored as the webhook stores it, by an intake whose process died before working it.
    dead = AlertIntake(
        db=bot.container.db,
        clock=bot.container.clock,
        severities=SeverityMap({}, otherwise=Severity.SEV3),
        runbook_names=frozenset(),
    )
    await dead.receive(AlertNotification.model_validate(notification("Orphan", [alert("o1")])))
    assert [n.state for n in await notifications(bot)] == ["pending"]
    bot.container.alert_work.start()  # this process's start picks it up
    await settled(bot)
    assert len(await incidents(bot)) == 1
    assert [n.state for n in await notifications(bot)] == ["done"]


async def test_a_nul_byte_in_an_alert_is_dropped_on_both_databases(bot: Bot) -> None:
    odd = alert("n1", summary="before\x00after", labels={"model": "q\x00wen"})
    status, answer = await post(bot.url, notification("Nul\x00Group", [odd]))
    assert status == 200 and answer["firing"] == ["n1"]
    await settled(bot)
    [incident] = await incidents(bot)
    assert incident.title == "beforeafter" and incident.components == ["qwen"]
