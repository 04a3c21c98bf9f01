"""``python -m bot demo``: the whole product on one machine, with no accounts and no network.

The bot (its own SQLite in a temporary folder), its scheduler, the serving stand-in with
simulated traffic, the Slack emulator and the sandbox page, which behaves like a Slack
workspace for this bot and drives it over signed HTTP exactly as Slack would. The bot's
clock is machine time plus an offset the page moves forward, never the machine's clock.
"""
