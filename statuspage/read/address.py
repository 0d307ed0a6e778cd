"""Web addresses, as settings and environment variables give them."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def web_address(text: str) -> SplitResult | None:
    """Return the parts of `text` if it is an absolute http(s) address with a host (and a
    number for a port, if it has one); None otherwise, also for text that is no address at all
    (an unclosed '[', a port of letters), whose error would quote it."""
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts
