"""The sandbox: local doubles of everything the bot talks to, for the demo, tests and benchmarks.

``sandbox.slack`` is a Slack workspace (Web API emulator and a Slack-signed request driver);
``sandbox.serving`` is a stand-in of the Artisan model-serving process. Nothing in the
product imports this package except ``python -m bot demo`` (an import-linter contract).
"""
