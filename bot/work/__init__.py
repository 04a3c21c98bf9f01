"""The one engine for background work: every job kind runs on a ``Worker``."""

from bot.work.worker import STOP_WITHIN, Job, Wakeup, Worker, holding

__all__ = ["STOP_WITHIN", "Job", "Wakeup", "Worker", "holding"]
