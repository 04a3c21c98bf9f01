"""The bodies Slack sends an app, in the full shape of the bolt-python/SDK fixtures.

``Payloads`` builds them from what the emulator holds (the message with the clicked
button, the open modal), and issues the response_url and trigger_id each would carry,
so a handler's follow-up calls land back in the emulator.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.slack.blockkit import iter_buttons
from sandbox.slack.records import JsonDict

if TYPE_CHECKING:
    from sandbox.slack.emulator import SlackEmulator


@dataclass(frozen=True)
class Payloads:
    """Builders for slash commands, block_actions, view_submission and event envelopes."""

    emulator: SlackEmulator
    team_id: str
    verification_token: str = "sandbox-verification-token"
    enterprise_id: str | None = "E0ARTISAN"
    enterprise_name: str | None = "Artisan"

    # ----- parts shared by the payloads

    def team(self) -> JsonDict:
        team: JsonDict = {"id": self.team_id, "domain": self.emulator.identity.team_domain}
        if self.enterprise_id:
            team |= {"enterprise_id": self.enterprise_id, "enterprise_name": self.enterprise_name}
        return team

    def user(self, user_id: str) -> JsonDict:
        handle = self.user_name(user_id)
        return {"id": user_id, "username": handle, "name": handle, "team_id": self.team_id}

    def user_name(self, user_id: str) -> str:
        return self.emulator.users.get(user_id, user_id).lower().replace(" ", ".")

    def channel_name(self, channel_id: str) -> str:
        if channel_id.startswith("D"):
            return "directmessage"
        return self.emulator.channels.get(channel_id, "privategroup")

    def enterprise(self) -> JsonDict | None:
        if not self.enterprise_id:
            return None
        return {"id": self.enterprise_id, "name": self.enterprise_name}

    # ----- payloads

    def slash_command(self, command: str, text: str, *, user: str, channel: str) -> dict[str, str]:
        """The form fields of a slash command, as strings (they travel form-encoded)."""
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.emulator.identity.team_domain,
            "channel_id": channel,
            "channel_name": self.channel_name(channel),
            "user_id": user,
            "user_name": self.user_name(user),
            "command": command,
            "text": text,
            "api_app_id": self.emulator.identity.app_id,
            "is_enterprise_install": "false",
            "response_url": self.emulator.new_response_url(channel=channel, user=user),
            "trigger_id": self.emulator.new_trigger_id(user=user),
        }
        if self.enterprise_id:
            fields["enterprise_id"] = self.enterprise_id
            fields["enterprise_name"] = self.enterprise_name or ""
        return fields

    def block_actions(
        self,
        *,
        channel: str,
        ts: str,
        action_id: str,
        user: str,
        value: str | None = None,
        seen: int | None = None,
    ) -> JsonDict:
        """A click on a button of a message the emulator holds, with that message attached.

        ``seen``: the click comes from a client still showing an earlier version (an index
        into the message's edits, ``0`` the original): a button an edit since removed.
        """
        message = self.emulator.message(channel, ts)
        if message.deleted:
            raise LookupError(f"message {channel}/{ts} was deleted; it cannot be clicked")
        shown = message.blocks if seen is None else message.history[seen].blocks
        matches = [
            (block_id, element)
            for block_id, element in iter_buttons(shown)
            if element.get("action_id") == action_id
            and (value is None or element.get("value") == value)
        ]
        if not matches:
            have = [(b.action_id, b.value) for b in self.emulator.buttons(channel, ts)]
            raise LookupError(
                f"no button action_id={action_id!r} value={value!r} in {channel}/{ts}; "
                f"its buttons are {have}"
            )
        block_id, button = matches[0]
        action: JsonDict = {
            "action_id": action_id,
            "block_id": block_id,
            "text": button.get("text"),
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
        if "value" in button:
            action["value"] = button["value"]
        return {
            "type": "block_actions",
            "user": self.user(user),
            "api_app_id": self.emulator.identity.app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": self.emulator.new_trigger_id(user=user),
            "team": self.team(),
            "enterprise": self.enterprise(),
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": self.channel_name(channel)},
            "message": message.to_slack(),
            "state": {"values": {}},
            "response_url": self.emulator.new_response_url(channel=channel, ts=ts, user=user),
            "actions": [action],
        }

    def view_submission(
        self, *, view_id: str, values: Mapping[str, Mapping[str, Any]], user: str
    ) -> JsonDict:
        """A submission of an open modal; ``values[block_id][action_id]`` is element state."""
        view = self.emulator.view(view_id)
        if view.closed:
            raise LookupError(f"view {view_id} is closed; it cannot be submitted")
        inputs = {
            str(block.get("block_id")): block.get("element") or {}
            for block in view.blocks
            if block.get("type") == "input"
        }
        response_urls: list[JsonDict] = []
        for block_id, by_action in values.items():
            element = inputs.get(block_id)
            if element is None:
                raise LookupError(f"view {view_id} has no input block {block_id!r}: {list(inputs)}")
            for action_id, state in by_action.items():
                if element.get("action_id") != action_id:
                    raise LookupError(
                        f"input block {block_id!r} has action_id {element.get('action_id')!r}, "
                        f"not {action_id!r}"
                    )
                channel = state.get("selected_conversation") or state.get("selected_channel")
                if element.get("response_url_enabled") and channel:
                    url = self.emulator.new_response_url(channel=str(channel), user=user)
                    response_urls.append(
                        {
                            "block_id": block_id,
                            "action_id": action_id,
                            "channel_id": channel,
                            "response_url": url,
                        }
                    )
        payload = copy.deepcopy(view.payload)
        payload["state"] = {"values": copy.deepcopy(dict(values))}
        return {
            "type": "view_submission",
            "team": self.team(),
            "user": self.user(user),
            "api_app_id": self.emulator.identity.app_id,
            "token": self.verification_token,
            "trigger_id": self.emulator.new_trigger_id(user=user, view_id=view_id),
            "view": payload,
            "response_urls": response_urls,
            "enterprise": self.enterprise(),
            "is_enterprise_install": False,
        }

    def event_callback(self, event: Mapping[str, Any], *, event_id: str | None = None) -> JsonDict:
        """An Events API ``event_callback`` envelope around ``event``."""
        now = time.time()
        inner = dict(event)
        inner.setdefault("event_ts", f"{now:.6f}")
        if inner.get("type") in ("message", "app_mention"):
            inner.setdefault("ts", inner["event_ts"])
            inner.setdefault("team", self.team_id)
        bot = self.emulator.identity.bot_user_id
        envelope: JsonDict = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.emulator.identity.app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": self.team_id,
                    "user_id": bot,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "authed_users": [bot],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_urlsafe(24),
        }
        if self.enterprise_id:
            envelope["enterprise_id"] = self.enterprise_id
        return envelope
