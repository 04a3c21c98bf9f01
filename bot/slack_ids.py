"""The shapes of the Slack IDs the bot is configured with or told about.

Only the shape: whether a user, channel or group exists is for Slack to say.
"""

from __future__ import annotations

import re

# A user ID anywhere (mentions, free text); ``USER_ID`` is a whole value of that shape.
USER_ID_SHAPE = r"[UW][A-Z0-9]{2,}"
USER_ID = re.compile(rf"^{USER_ID_SHAPE}$")
# A user ID inside free text: only one holding a digit, so a word such as "WARN" stays a word.
USER_ID_IN_TEXT = re.compile(rf"\b(?=[UW][A-Z0-9]*\d){USER_ID_SHAPE}\b")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
