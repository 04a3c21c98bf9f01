"""The outbox: every post the bot owes Slack, decided in a transaction, delivered after."""

from bot.outbox.deliverer import Deliverer, SentHook
from bot.outbox.model import MessageRef, NothingToSend, OwedPost, Sender, Undeliverable

__all__ = [
    "Deliverer",
    "MessageRef",
    "NothingToSend",
    "OwedPost",
    "Sender",
    "SentHook",
    "Undeliverable",
]
