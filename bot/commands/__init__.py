"""CLI subcommands, one module per area; ``bot.cli`` wires them into ``python -m bot``."""
