"""The outbox: every post the bot owes Slack, decided in a transaction, delivered after."""

from bot.outbox.deliverer import Deliverer, SentHook
from bot.outbox.model import (
    ChannelClosed,
    MessageRef,
    NothingToSend,
    OwedPost,
    Post,
    PostKind,
    Refusal,
    Sender,
    Undeliverable,
)

__all__ = [
    "ChannelClosed",
    "Deliverer",
    "MessageRef",
    "NothingToSend",
    "OwedPost",
    "Post",
    "PostKind",
    "Refusal",
    "Sender",
    "SentHook",
    "Undeliverable",
]
