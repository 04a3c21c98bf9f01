"""URLs as they may be shown: in a message, a log line or an error, never with a password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

MASK = "***"


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (``postgresql://app:***@db/sre``).

    Anything that does not parse is shown as its scheme alone, so a malformed URL with a
    secret in it cannot leak through the error that reports it.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
        host = parts.hostname
        port = parts.port
    except ValueError:
        scheme = url.split(":", 1)[0] if ":" in url else ""
        return f"{scheme}:{MASK}" if scheme else MASK
    if password is None:
        return url
    userinfo = f"{parts.username or ''}:{MASK}"
    hostport = host or ""
    if ":" in hostport:
        hostport = f"[{hostport}]"
    if port is not None:
        hostport += f":{port}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{hostport}"))
