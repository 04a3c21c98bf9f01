"""A local Slack: a Web API emulator and a driver that sends Slack-signed requests.

``SlackEmulator`` stands in for slack.com (point ``AsyncWebClient(base_url=...)`` at
``emulator.api_url``); ``SlackDriver`` plays Slack towards the app's Request URL, and a
Socket Mode app connects to the emulator itself (``SlackEmulator.slash_over_socket``).
The test suite drives the bot through them over real HTTP, and the sandbox page reads
the emulator's ``/_sandbox`` JSON.
"""

from sandbox.slack.driver import DriverResponse, SlackDriver
from sandbox.slack.emulator import SlackEmulator
from sandbox.slack.records import (
    Button,
    Ephemeral,
    Message,
    MessageVersion,
    RecordedCall,
    ResponsePost,
    SandboxView,
    Upload,
)
from sandbox.slack.socket_mode import SocketAck
from sandbox.slack.workspace import Limits

__all__ = [
    "Button",
    "DriverResponse",
    "Ephemeral",
    "Limits",
    "Message",
    "MessageVersion",
    "RecordedCall",
    "ResponsePost",
    "SandboxView",
    "SlackDriver",
    "SlackEmulator",
    "SocketAck",
    "Upload",
]
