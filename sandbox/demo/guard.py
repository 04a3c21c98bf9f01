"""The page serves only itself: a request must name the page's own address, come from the
page, and change state only as JSON.

The page acts as any person of the demo (it declares incidents as Alice), so no other web
page open in the same browser may use it. A cross-site form or ``text/plain`` fetch is
sent without asking first: refused by its ``Origin`` (or ``Sec-Fetch-Site``), and by its
type. A name that an attacker makes resolve to 127.0.0.1 (DNS rebinding) turns their page
into a same-origin one: refused by ``Host``, which must be an address or ``localhost``
with the page's port.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
READS = frozenset({"GET", "HEAD"})
FROM_THE_PAGE = frozenset({"same-origin", "none"})  # Sec-Fetch-Site: the page, or typed in


@web.middleware
async def only_this_page(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 for another address or another origin, 415 for a change that is not JSON."""
    port = _own_port(request)
    host = request.headers.get("Host", "")
    if not _is_own_host(host, port):
        return _refuse(403, f"this page answers only at its own address (Host {host[:80]!r})")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"http://{host}":
        return _refuse(403, f"requests from another site are refused (Origin {origin[:80]!r})")
    if request.method not in READS:
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in FROM_THE_PAGE:
            return _refuse(403, f"requests from another site are refused (Sec-Fetch-Site {site})")
        if request.content_type != "application/json":
            return _refuse(415, "send JSON (Content-Type: application/json)")
    return await handler(request)


def _own_port(request: web.Request) -> int | None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if sockname else None


def _is_own_host(host: str, port: int | None) -> bool:
    """An IP address or ``localhost``, with the port the page listens on (80 if unsaid)."""
    name, given = host, "80"
    if not host.endswith("]") and ":" in host:
        name, _, given = host.rpartition(":")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if not given.isdigit() or int(given) != port:
        return False
    if name.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _refuse(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=f"sandbox page: {reason}\n")
