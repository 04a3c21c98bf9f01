"""SLOs and error budgets (docs/guide.md#slos): definitions, evaluation against Prometheus,
the deploy verdict, the report texts and the burn-rate rule file. No Slack here."""

from bot.slo.budget import SloStatus
from bot.slo.definitions import (
    EXAMPLE_YAML,
    EventsSlo,
    LatencySlo,
    SloConfigError,
    SloDefinition,
    ThresholdSlo,
    default_slos,
    parse_slo_definitions,
)
from bot.slo.evaluation import (
    BURN_WINDOWS,
    DeployVerdict,
    SloEvaluator,
    SloResult,
    Verdict,
    deploy_verdict,
)
from bot.slo.report import render_check_line, render_report, results_to_json
from bot.slo.rules import render_rules

__all__ = [
    "BURN_WINDOWS",
    "EXAMPLE_YAML",
    "DeployVerdict",
    "EventsSlo",
    "LatencySlo",
    "SloConfigError",
    "SloDefinition",
    "SloEvaluator",
    "SloResult",
    "SloStatus",
    "ThresholdSlo",
    "Verdict",
    "default_slos",
    "deploy_verdict",
    "parse_slo_definitions",
    "render_check_line",
    "render_report",
    "render_rules",
    "results_to_json",
]
