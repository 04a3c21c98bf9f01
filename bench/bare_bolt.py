"""The yardstick for ``python -m bench.ack_load``: a Bolt app on aiohttp that only acks ``/incident``.

Same signature checks and the same Bolt request path as the bot, nothing else: whatever the
bot adds to an ack on top of this is the bot's own cost.

    .venv/bin/python -m bench.bare_bolt --port 3100 --api-url http://127.0.0.1:PORT/api/
"""

from __future__ import annotations

import argparse

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def bare_app(*, signing_secret: str, api_url: str, token: str) -> web.Application:
    bolt = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(token=token, base_url=api_url),
    )

    @bolt.command("/incident")
    async def only_ack(ack: AsyncAck) -> None:
        await ack("Noted.")

    return bolt.web_app(path="/slack/events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True, help="the Slack emulator's Web API URL")
    parser.add_argument("--signing-secret", default="bench-secret")
    parser.add_argument("--token", default="xoxb-sandbox")
    args = parser.parse_args()
    app = bare_app(signing_secret=args.signing_secret, api_url=args.api_url, token=args.token)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
