"""Slack payloads parsed into typed models at the edge; nothing past ``handlers`` sees a dict."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SlashCommand(_Payload):
    command: str
    text: str = ""
    user_id: str
    channel_id: str
    trigger_id: str | None = None
    response_url: str | None = None


class _User(_Payload):
    id: str


class _Channel(_Payload):
    id: str


class _Container(_Payload):
    type: str
    message_ts: str | None = None
    channel_id: str | None = None


class _Action(_Payload):
    action_id: str
    value: str | None = None
    block_id: str | None = None


class BlockAction(_Payload):
    user: _User
    channel: _Channel | None = None
    container: _Container | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    actions: list[_Action] = Field(min_length=1)

    @property
    def action(self) -> _Action:
        return self.actions[0]

    @property
    def channel_id(self) -> str | None:
        if self.channel is not None:
            return self.channel.id
        return self.container.channel_id if self.container else None


class _View(_Payload):
    id: str
    callback_id: str = ""
    private_metadata: str = ""
    state: dict[str, Any] = Field(default_factory=dict)


class ViewSubmission(_Payload):
    user: _User
    view: _View

    def value(self, block_id: str) -> str:
        """The submitted value of the input in ``block_id`` (text or a select's choice)."""
        element = self.view.state.get("values", {}).get(block_id, {}).get("value", {})
        if not isinstance(element, dict):
            return ""
        if element.get("selected_option"):
            return str(element["selected_option"].get("value", ""))
        return str(element.get("value") or "")
