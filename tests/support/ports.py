"""Ports for the servers and processes a test starts.

Chosen outside the kernel's range for the local end of outgoing connections: a test that
kills a bot and starts it again on the same port must find the port free, and a port from
that range can be taken meanwhile by any connection another test opens (a restarted bot once
failed with "address already in use" on a busy CI run). Chosen at random, not in order, so
parallel test workers rarely pick the same one.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGES = Path("/proc/sys/net/ipv4/ip_local_port_range")
FIRST_PORT = 10_000  # below it: ports other services on a machine are configured with
_choose = random.SystemRandom()


def _outgoing() -> range:
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGES.read_text().split())
    except (OSError, ValueError):
        low, high = 32_768, 60_999  # Linux's default
    return range(low, high + 1)


def free_port() -> int:
    """A TCP port nothing is bound to on 127.0.0.1 now, outside the outgoing range (also
    good as a port where nothing answers)."""
    outgoing = _outgoing()
    candidates = [
        *range(FIRST_PORT, max(FIRST_PORT, outgoing.start)),
        *range(max(FIRST_PORT, outgoing.stop), 65_536),
    ]
    for _ in range(200):
        port = _choose.choice(candidates)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port outside the outgoing range after 200 tries")
