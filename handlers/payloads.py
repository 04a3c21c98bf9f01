"""Slack payloads parsed into typed models at the edge; nothing past ``handlers`` sees a dict."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


def without_nul(text: str) -> str:
    """``text`` without NUL characters: PostgreSQL cannot store them (SQLite can), no Slack
    client can type one, and both databases must keep the same text. Removed, not refused."""
    return text.replace("\x00", "")


class SlackPayload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return without_nul(value) if isinstance(value, str) else value


class SlashCommand(SlackPayload):
    command: str
    text: str = ""
    user_id: str
    channel_id: str
    trigger_id: str | None = None
    response_url: str | None = None


class _User(SlackPayload):
    id: str


class _Channel(SlackPayload):
    id: str


class _Container(SlackPayload):
    type: str
    message_ts: str | None = None
    channel_id: str | None = None


class _Action(SlackPayload):
    action_id: str
    value: str | None = None
    block_id: str | None = None


class BlockAction(SlackPayload):
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


class _View(SlackPayload):
    id: str
    callback_id: str = ""
    private_metadata: str = ""
    state: dict[str, Any] = Field(default_factory=dict)


class ViewSubmission(SlackPayload):
    user: _User
    view: _View

    def value(self, block_id: str) -> str:
        """The submitted value of the input in ``block_id`` (text or a select's choice); ""
        for anything not shaped as Slack sends it."""
        values = self.view.state.get("values")
        block = values.get(block_id) if isinstance(values, dict) else None
        element = block.get("value") if isinstance(block, dict) else None
        if not isinstance(element, dict):
            return ""
        option = element.get("selected_option")
        if option:
            chosen = option.get("value") if isinstance(option, dict) else None
            return without_nul(chosen) if isinstance(chosen, str) else ""
        text = element.get("value")
        return without_nul(text) if isinstance(text, str) else ""
