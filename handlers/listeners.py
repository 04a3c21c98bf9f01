"""Every Slack listener is registered here, so each one parses its payload into a typed model
and answers errors the same way.

Listeners run in the inbox's worker, on a request the door stored and acknowledged already
(``handlers/slack_door.py``): Bolt's ``ack`` there answers nobody.

- A command's or a button's reply, a refusal or a failure's reference reaches the person
  through ``response_url``, ephemeral. A command run again after a crash (``attempts`` above
  one) replaces its earlier answer rather than adding a second.
- A modal submission is read twice: by the door before the modal closes (``Forms``: wrong
  fields are shown under the fields, a form that cannot be read at all gets a notice pushed
  above it), and here before the work runs; its reply or failure reaches the person as an
  ephemeral in the modal's channel, else as a direct message.

No error escapes to Bolt: its own error path can lose an ack that happened just before a
fast failure (the request then times out as "unhandled").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.blocks.errors import MAYBE_DONE, NOTHING_CHANGED, failure_modal
from handlers.blocks.text import Reply, message
from handlers.errors import InvalidFields, explain, respond_privately, tell
from handlers.payloads import BlockAction, SlashCommand, ViewSubmission

log = logging.getLogger(__name__)

ATTEMPTS = "inbox_attempts"
"""The context key under which the inbox's runner says how many times a request was started."""

Form = TypeVar("Form")


def in_channel(reply: Reply) -> Reply:
    """A command's reply everyone in the channel sees (the default is the person alone)."""
    return {**reply, "response_type": "in_channel"}


@dataclass(frozen=True)
class Modal(Generic[Form]):
    """How one modal's submission is handled.

    ``read`` runs before the modal closes and may raise ``InvalidFields``; ``act`` runs after
    and returns what to tell the person, if anything; ``channel`` names where to tell them
    (None: a direct message); ``outcome`` says what a failure in ``act`` may have left behind.
    """

    read: Callable[[ViewSubmission], Form]
    act: Callable[[ViewSubmission, Form], Awaitable[Reply | None]]
    channel: Callable[[ViewSubmission], Awaitable[str | None]]
    outcome: str = MAYBE_DONE


class Forms:
    """Each modal's ``read``, by callback ID: what the door checks before a modal closes."""

    def __init__(self) -> None:
        self._reads: dict[str, Callable[[ViewSubmission], object]] = {}

    def add(self, callback_id: str, read: Callable[[ViewSubmission], object]) -> None:
        self._reads[callback_id] = read

    def check(self, submission: ViewSubmission) -> None:
        """Raise as ``Modal.read`` does (``InvalidFields`` for wrong fields); a form no
        listener reads passes (its worker answers it)."""
        read = self._reads.get(submission.view.callback_id)
        if read is not None:
            read(submission)


class Listeners:
    """Registers commands, buttons and modals on a Bolt app, each wrapped the one way; how
    many run at once is the inbox worker's to bound."""

    def __init__(self, app: AsyncApp) -> None:
        self._app = app
        self.forms = Forms()

    @property
    def client(self) -> AsyncWebClient:
        return self._app.client

    def command(
        self,
        name: str,
        run: Callable[[SlashCommand], Awaitable[Reply | None]],
        *,
        outcome: str = MAYBE_DONE,
    ) -> None:
        """``run`` answers the command; None when it needs no reply (a modal opened)."""

        async def on_command(
            ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
        ) -> None:
            await ack()
            try:
                reply = await run(SlashCommand.model_validate(body))
            except Exception as error:
                reply = message(explain(error, outcome=outcome, where=name))
            if reply is not None:
                await respond_privately(respond, reply, replace=_rerun(context))

        self._app.command(name)(on_command)

    def action(
        self,
        action_id: str,
        run: Callable[[BlockAction], Awaitable[Reply | None]],
        *,
        outcome: str = MAYBE_DONE,
    ) -> None:
        """``run`` handles a click; the message it changes is usually the answer."""

        async def on_action(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()
            try:
                reply = await run(BlockAction.model_validate(body))
            except Exception as error:
                reply = message(explain(error, outcome=outcome, where=f"button {action_id}"))
            if reply is not None:
                await respond_privately(respond, reply)

        self._app.action(action_id)(on_action)

    def view(self, callback_id: str, modal: Modal[Any]) -> None:
        where = f"modal {callback_id}"
        self.forms.add(callback_id, modal.read)

        async def on_submission(
            ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
        ) -> None:
            try:
                submission = ViewSubmission.model_validate(body)
                form = modal.read(submission)
            except InvalidFields as invalid:
                await ack(response_action="errors", errors=invalid.errors)
                return
            except Exception as error:
                text = explain(error, outcome=NOTHING_CHANGED, where=where)
                await ack(response_action="push", view=failure_modal(text))
                return
            await ack()  # the modal closed at the door; only a message reaches the person
            try:
                reply = await modal.act(submission, form)
            except Exception as error:
                reply = message(explain(error, outcome=modal.outcome, where=where))
            if reply is not None:
                channel = await _channel(modal, submission)
                await tell(client, user=submission.user.id, channel=channel, reply=reply)

        self._app.view(callback_id)(on_submission)


def _rerun(context: AsyncBoltContext) -> bool:
    attempts = context.get(ATTEMPTS)
    return isinstance(attempts, int) and attempts > 1


async def _channel(modal: Modal[Any], submission: ViewSubmission) -> str | None:
    """Where the modal came from; None when that cannot be found (the person gets a DM)."""
    try:
        return await modal.channel(submission)
    except Exception:
        log.warning("no channel for %s's modal; sending a DM", submission.user.id, exc_info=True)
        return None
