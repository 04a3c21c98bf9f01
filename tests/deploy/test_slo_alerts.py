"""promtool's unit tests of the shipped SLO burn-rate alerts (deploy/tests/slo-rules.test.yml):
a page on a fast burn, a ticket on a slow one, nothing while a 7-day SLO meets its objective."""

from __future__ import annotations

from tests.deploy.conftest import run_tool


def test_promtool_unit_tests_of_the_slo_alerts() -> None:
    tested = run_tool("promtool", "test", "rules", "tests/slo-rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
