"""SLOs and error budgets (docs/guide.md#slos): definitions, evaluation against Prometheus, the deploy
verdict, the report texts and the burn-rate rule file. No Slack here.

Each part is imported from its module (``bot.slo.definitions``, ``bot.slo.evaluation``, ...),
so reading sre.yaml's SLOs does not load the Prometheus client.
"""
