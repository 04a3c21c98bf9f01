"""``python -m bot``: a Ctrl-C at any moment, even while it starts, ends it without a
traceback, with the shell's exit code for an interrupt."""

try:
    from bot.cli import run

    run()
except KeyboardInterrupt:
    raise SystemExit(130) from None
