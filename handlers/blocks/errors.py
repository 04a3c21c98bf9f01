"""What a person reads when their request was refused or failed on our side."""

from __future__ import annotations

from typing import Any

from bot.errors import AlreadyAcknowledged, AlreadyRestored, SreError
from handlers.blocks.text import escape, mention, mention_users, plain, section, when

# What a failure may have left behind, when the listener cannot say more precisely.
MAYBE_DONE = "It may or may not have taken effect: check before you try again."
NOTHING_CHANGED = "Nothing was changed."


def refusal_text(error: SreError) -> str:
    """The mrkdwn text for a refusal; user IDs inside become mentions."""
    if isinstance(error, AlreadyAcknowledged):
        return (
            f"👀 *{error.incident_id}* was already acknowledged by {mention(error.by)} "
            f"{when(error.at)}; nothing changed."
        )
    if isinstance(error, AlreadyRestored):
        return (
            f"♻️ {escape(error.model)}'s restore was already started by {mention(error.by)} "
            f"as *{escape(error.run_id)}*: its message shows where it stands. Nothing changed."
        )
    return "⚠️ " + mention_users(error.message)


def database_timeout_outcome(seconds: float, *, maybe_committed: bool) -> str:
    """What became of a request whose database never answered: said exactly, because a
    person deciding whether to try again needs to know."""
    if maybe_committed:
        return (
            f"The database stopped answering within {seconds:g}s while saving this, so it may "
            "or may not have been stored: check before you try again."
        )
    return (
        f"The database did not answer within {seconds:g}s, so nothing was stored or changed: "
        "try again once it is back."
    )


def failure_text(reference: str, *, outcome: str) -> str:
    """An unexpected failure: what became of the request, and the reference to quote."""
    return (
        f"💥 Something went wrong on our side. {outcome} "
        f"If you ask for help, quote the reference `{reference}` to whoever runs the bot."
    )


def not_recorded_text(seconds: float) -> str:
    """A request the inbox could not store in time: the door says so in its ack."""
    return (
        f"⚠️ The bot's database did not take this request within {seconds:g}s, so nothing was "
        "recorded and nothing was done. Try again in a minute; if it keeps happening, the "
        "bot's database is in trouble."
    )


def unreadable_form_text(reason: str) -> str:
    """A form submission whose payload is not shaped as Slack sends it."""
    return f"⚠️ This form could not be read ({escape(reason)}). {NOTHING_CHANGED}"


def failure_modal(text: str) -> dict[str, Any]:
    """Pushed above a form that could not be read; closing it goes back to the form."""
    return {
        "type": "modal",
        "title": plain("Not submitted", 24),
        "close": plain("Back to the form", 24),
        "blocks": [section(text)],
    }
