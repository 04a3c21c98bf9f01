"""``SlackEmulator``: the Slack Web API, response URLs and file uploads over real HTTP.

Point slack_sdk at it with ``AsyncWebClient(token=..., base_url=emulator.api_url)``.
It answers in Slack's envelope (HTTP 200 ``{"ok": false, "error": ...}``), records every
call, checks Block Kit limits and unintended broadcast mentions, and can be told to
rate-limit or fail a method. Tests inspect it in-process; the ``/_sandbox/...`` JSON
routes expose the same state to a browser.

Bad days, for testing what a client does when Slack misbehaves:

- ``outage()`` / ``restore()`` / ``is_out``: while out, every Web API call and every
  response_url POST answers HTTP 503 ``{"ok": false, "error": "service_unavailable"}``
  and changes nothing (the call is still recorded, with status 503).
- ``hang(seconds)``: until ``restore()``, every call (and response_url POST) waits
  ``seconds`` before it is processed, then goes on normally; ``restore()`` wakes the
  calls already waiting; ``held_in_hang`` counts those waiting now.
- ``stall(method, seconds, times=1)``: the next ``times`` calls of ``method`` that do
  their work (the message is posted) get their answer ``seconds`` later; other calls
  are served meanwhile.
- ``fail_after_work(method, status=500, times=1)``: the next ``times`` calls of
  ``method`` that do their work answer HTTP ``status`` with ``internal_error`` anyway
  (``service_unavailable`` for 503, ``fatal_error`` for 200).
- ``on_call(method, hook)`` / ``clear_hooks()``: ``await hook(call, result)`` after every
  call of ``method`` that did its work, before it is answered (e.g. to kill the client
  between "Slack posted" and "the client heard"). A hook that raises becomes a violation.
- ``fail_until_lifted(method, error)`` / ``lift(method)``: every call of ``method`` is
  refused until lifted (``apps.connections.open``: Socket Mode cannot connect).
- ``drop_sockets()``: close every Socket Mode connection, as Slack does when it goes away.

Socket Mode: ``apps.connections.open`` (with ``app_token``) hands out a WebSocket URL;
``sockets_open`` counts the app's connections and ``slash_over_socket`` delivers a slash
command over the newest one and returns the app's ack.

Order within one call: hang, outage, refusals (``rate_limit``/``fail``), the work, the
call recorded, hooks, stall, answer. ``reset()`` lifts all of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from bot.clock import Clock, SystemClock
from sandbox.slack import methods_views
from sandbox.slack.blockkit import iter_buttons
from sandbox.slack.faults import CallHook, Fault, Faults
from sandbox.slack.mentions import normalise
from sandbox.slack.payloads import Payloads
from sandbox.slack.records import (
    Button,
    Ephemeral,
    Message,
    RecordedCall,
    ResponsePost,
    SandboxView,
    Upload,
)
from sandbox.slack.server import EmulatorServer
from sandbox.slack.socket_mode import SocketAck, SocketMode
from sandbox.slack.workspace import Identity, Limits, Workspace

T = TypeVar("T")

DEFAULT_CHANNELS = {
    "C0INCIDENTS": "incidents",
    "C0ONCALL": "oncall",
    "C0SLO": "slo",
    "C0GENERAL": "general",
}
DEFAULT_USERS = {
    "U0AAA": "Alice",
    "U0BBB": "Bob",
    "U0CCC": "Carol",
    "U0DDD": "Dave",
    "U0EEE": "Erin",
    "U0FFF": "Frank",
    "U0GGG": "Grace",
    "U0HHH": "Heidi",
}
DEFAULT_USERGROUPS = {"S0ONCALL": ["U0AAA", "U0BBB"]}


class SlackEmulator:
    """An emulated Slack workspace served on a loopback port."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-sandbox",
        app_token: str = "xapp-sandbox",
        team_id: str = "T0ARTISAN",
        team_domain: str = "artisan",
        bot_user_id: str = "U0ARTBOT",
        bot_id: str = "B0ARTBOT",
        app_id: str = "A0ARTISAN",
        channels: Mapping[str, str] | None = None,
        users: Mapping[str, str] | None = None,
        usergroups: Mapping[str, Sequence[str]] | None = None,
        clock: Clock | None = None,
        limits: Limits | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.workspace = Workspace(
            identity=Identity(
                team_id, team_domain, bot_token, bot_user_id, bot_id, app_id, app_token=app_token
            ),
            channels=DEFAULT_CHANNELS if channels is None else channels,
            users=DEFAULT_USERS if users is None else users,
            usergroups=DEFAULT_USERGROUPS if usergroups is None else usergroups,
            clock=clock or SystemClock(),
            limits=limits or Limits(),
        )
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._faults = Faults()
        self._socket_mode = SocketMode(self.workspace)

    # ----- identity

    @property
    def identity(self) -> Identity:
        return self.workspace.identity

    @property
    def bot_token(self) -> str:
        return self.identity.bot_token

    @property
    def app_token(self) -> str:
        """The app-level token Socket Mode connects with (``SLACK_APP_TOKEN``)."""
        return self.identity.app_token

    @property
    def team_id(self) -> str:
        return self.identity.team_id

    @property
    def channels(self) -> dict[str, str]:
        return self.workspace.channels

    @property
    def users(self) -> dict[str, str]:
        return self.workspace.users

    # ----- lifecycle

    async def start(self) -> None:
        """Serve on ``host:port`` (port 0 picks a free one)."""
        app = EmulatorServer(self.workspace, self._faults, self._socket_mode).application()
        # A stalled answer (``stall``, ``hang``) is cut off at stop instead of waited out.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.workspace.base_url = f"http://{self._host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._socket_mode.drop()
            await self._runner.cleanup()
            self._runner = None
            self.workspace.base_url = ""

    async def __aenter__(self) -> SlackEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``; only once started."""
        if not self.workspace.base_url:
            raise RuntimeError("SlackEmulator is not started; await start() first")
        return self.workspace.base_url

    @property
    def api_url(self) -> str:
        """The ``base_url`` for slack_sdk's clients (ends in ``/api/``)."""
        return f"{self.url}/api/"

    # ----- scenario control

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 with ``Retry-After``."""
        self._faults.refuse(method, Fault("ratelimited", retry_after=int(retry_after)), times)

    def fail(self, method: str, error: str = "internal_error", times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 200 ``{"ok": false, "error": error}``."""
        self._faults.refuse(method, Fault(error), times)

    def fail_until_lifted(self, method: str, error: str = "internal_error") -> None:
        """Every call of ``method`` answers 200 ``{"ok": false, "error": error}`` until lift()."""
        self._faults.refuse_until_lifted(method, Fault(error))

    def lift(self, method: str) -> None:
        """End ``fail_until_lifted(method)``."""
        self._faults.lift(method)

    def remove_bot(self, channel: str) -> None:
        """The bot leaves ``channel``: its posts there answer ``not_in_channel``."""
        self.workspace.closed[channel] = "not_in_channel"

    def archive(self, channel: str) -> None:
        """``channel`` is archived: posts there answer ``is_archived``."""
        self.workspace.closed[channel] = "is_archived"

    def reopen(self, channel: str) -> None:
        """The bot is invited back to ``channel`` / it is unarchived: it takes posts again."""
        self.workspace.closed.pop(channel, None)

    def outage(self) -> None:
        """Slack is down: every call and response_url POST answers 503, doing nothing."""
        self._faults.outage()

    def hang(self, seconds: float) -> None:
        """Slack hangs: every call waits ``seconds`` before it is processed, until restore()."""
        self._faults.hang(seconds)

    def restore(self) -> None:
        """End the outage and the hang; calls waiting in the hang are processed at once."""
        self._faults.restore()

    @property
    def is_out(self) -> bool:
        return self._faults.out

    @property
    def held_in_hang(self) -> int:
        """Calls and response_url POSTs that arrived and wait in a hang right now: what a test
        waits for to know they reached Slack and are being held, not merely sent."""
        return self._faults.held

    def stall(self, method: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` do their work, then answer ``seconds`` late."""
        self._faults.stall(method, seconds, times)

    def fail_after_work(self, method: str, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` do their work, then answer HTTP ``status``."""
        self._faults.fail_after_work(method, status, times)

    def on_call(self, method: str, hook: CallHook) -> None:
        """``await hook(call, result)`` after each call of ``method`` did its work, before the
        answer; until clear_hooks()."""
        self._faults.on_call(method, hook)

    def clear_hooks(self) -> None:
        self._faults.clear_hooks()

    def allow_mentions(self, mentions: Iterable[str]) -> None:
        """Mark mentions (``<!subteam^S0ONCALL>``, ``<!here>``) as intended: not violations."""
        self.workspace.allowed_mentions.update(normalise(m) for m in mentions)

    def new_trigger_id(self, *, user: str | None = None, view_id: str | None = None) -> str:
        """A fresh trigger_id (``123456.7890123.abcdef…``) views.open/push will accept once."""
        return self.workspace.issue_trigger(user=user, view_id=view_id)

    def new_response_url(
        self, *, channel: str | None = None, ts: str | None = None, user: str | None = None
    ) -> str:
        """A loopback response_url; with ``ts`` it acts on that message (replace/delete)."""
        if not self.workspace.base_url:
            raise RuntimeError("start the emulator before handing out response URLs")
        return self.workspace.issue_response_url(channel=channel, ts=ts, user=user).url

    def add_user_message(
        self, *, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> Message:
        """A message a person posted (no API call), e.g. the one an app_mention event is about."""
        ws = self.workspace
        message = Message(
            channel=channel,
            ts=ws.next_ts(),
            text=text,
            blocks=[],
            user=user,
            team=ws.identity.team_id,
            thread_ts=ws.thread_parent(channel, thread_ts),
            via="user",
        )
        ws.messages_in(channel).append(message)
        return message

    @property
    def sockets_open(self) -> int:
        """The app's Socket Mode connections open now."""
        return self._socket_mode.open

    async def drop_sockets(self) -> None:
        """Close every Socket Mode connection; the app has to open a new one."""
        await self._socket_mode.drop()

    async def slash_over_socket(
        self,
        command: str,
        text: str = "",
        *,
        user: str,
        channel: str = "C0GENERAL",
        within: float = 10.0,
    ) -> SocketAck:
        """A slash command delivered over Socket Mode; the app's ack (LookupError when no
        app is connected). Its ``response_url`` leads back here, as over HTTP."""
        fields = Payloads(emulator=self, team_id=self.team_id).slash_command(
            command, text, user=user, channel=channel
        )
        return await self._socket_mode.send("slash_commands", dict(fields), within=within)

    def apply_view_response(self, view_id: str, ack: Mapping[str, Any] | None) -> None:
        """Apply the app's answer to a view_submission (errors/update/push/clear/close)."""
        methods_views.apply_submission_ack(self.workspace, self.view(view_id), ack)

    def reset(self) -> None:
        """Forget calls, messages, views and violations; lift faults, hooks, outage and hang."""
        self.workspace.reset()
        self._faults.clear()

    # ----- inspection

    @property
    def calls(self) -> list[RecordedCall]:
        return self.workspace.calls

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.workspace.calls if call.method == method]

    @property
    def violations(self) -> list[str]:
        return self.workspace.violations

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages of ``channel`` in post order (deleted ones flagged, not dropped),
        with the thread replies broadcast to it, as its history shows them."""
        return [m for m in self.workspace.channel_messages.get(channel, []) if m.in_channel]

    def message(self, channel: str, ts: str) -> Message:
        found = self.workspace.find_message(channel, ts)
        if found is None:
            have = [m.ts for m in self.workspace.channel_messages.get(channel, [])]
            raise LookupError(f"no message {ts} in {channel}; it has {have}")
        return found

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        return [
            m for m in self.workspace.channel_messages.get(channel, []) if m.thread_ts == thread_ts
        ]

    def ephemerals(self, user: str | None = None, channel: str | None = None) -> list[Ephemeral]:
        return [
            e
            for e in self.workspace.ephemerals
            if (user is None or e.user == user) and (channel is None or e.channel == channel)
        ]

    def responses(self, url: str | None = None) -> list[ResponsePost]:
        """POSTs made to response_urls (all, or those to ``url``), in arrival order."""
        return [r for r in self.workspace.responses if url is None or r.url == url]

    def answers_shown(self, url: str) -> int:
        """Messages the person sees from POSTs to ``url``: one that replaced the last one
        sent through it shows nothing new."""
        return sum(t.shown for t in self.workspace.response_urls.values() if t.url == url)

    @property
    def views(self) -> list[SandboxView]:
        return list(self.workspace.views.values())

    def view(self, view_id: str) -> SandboxView:
        found = self.workspace.views.get(view_id)
        if found is None:
            raise LookupError(f"no view {view_id}; opened: {list(self.workspace.views)}")
        return found

    @property
    def uploads(self) -> list[Upload]:
        return list(self.workspace.uploads.values())

    def usergroup_members(self, usergroup_id: str) -> list[str]:
        return list(self.workspace.usergroups[usergroup_id])

    def buttons(self, channel: str, ts: str) -> list[Button]:
        """Every button of a message's current blocks as ``(action_id, value, text)``."""
        return [
            Button(
                str(el.get("action_id", "")),
                el.get("value"),
                str((el.get("text") or {}).get("text", "")),
            )
            for _, el in iter_buttons(self.message(channel, ts).blocks)
        ]

    async def wait_for(
        self,
        predicate: Callable[[SlackEmulator], T],
        timeout: float = 5.0,  # noqa: ASYNC109 - a polling assertion with its own message
        *,
        interval: float = 0.01,
        description: str | None = None,
    ) -> T:
        """Poll until ``predicate(emulator)`` is truthy and return its value.

        A LookupError inside the predicate (message not there yet) counts as false.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            last_error: LookupError | None = None
            try:
                result = predicate(self)
                if result:
                    return result
            except LookupError as exc:
                last_error = exc
            if loop.time() >= deadline:
                recent = [f"{c.method}→{c.error or 'ok'}" for c in self.calls[-10:]]
                what = description or getattr(predicate, "__name__", "predicate")
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; "
                    f"last error: {last_error}; recent calls: {recent}; "
                    f"violations: {self.violations}"
                )
            await asyncio.sleep(interval)
