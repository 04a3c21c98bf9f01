"""The outbox: every post the bot owes Slack, decided in a transaction, delivered after."""

from bot.outbox.deliverer import Deliverer, SentHook
from bot.outbox.model import (
    MessageRef,
    NothingToSend,
    OwedPost,
    Post,
    PostKind,
    Sender,
    Undeliverable,
)

__all__ = [
    "Deliverer",
    "MessageRef",
    "NothingToSend",
    "OwedPost",
    "Post",
    "PostKind",
    "Sender",
    "SentHook",
    "Undeliverable",
]
