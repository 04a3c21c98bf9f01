"""How the shell spells a hint; Slack's spelling is ``bot.errors.slash_command``."""

from __future__ import annotations

import shlex

from bot.errors import Hint


def shell_command(hint: Hint) -> str:
    """``python -m bot incident resolve INC-1 "<what fixed it>"``."""
    # A placeholder is quoted as a person would type its value: "<what fixed it>".
    words = (f'"{w}"' if w.startswith("<") else shlex.quote(w) for w in hint.args)
    return " ".join(("python -m bot", hint.area, hint.verb, *words))
