"""Whether a server's address is this machine: the one test of "local" for a URL.

Pure and standard-library only, so every backend type asks it before any client is loaded.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine by its address: the one test of "local".

    True only for an IP literal in 127.0.0.0/8 or ``::1`` (also IPv4-mapped, brackets
    allowed) and for exactly ``localhost``, which is taken as loopback without resolving it
    (RFC 6761 reserves the name for loopback; resolvers and /etc/hosts map it there). No
    other name is ever resolved: ``127.evil.example.com`` and ``localhost.evil.com`` are
    remote, and so are the short and hex forms the C library would accept (``127.1``,
    ``0x7f.1``) — a false "remote" only costs redaction, a false "local" leaks secrets.
    """
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


_AUTHORITY_TRICKS = re.compile(r"[@\\\s]")  # user-info, backslashes, spaces: parsers differ


def is_loopback_url(url: str, *, bind_all: bool = False) -> bool:
    """Whether a server URL (or bare ``host:port``) is on this machine by address.

    A URL with user-info or a backslash in its authority is never local: parsers disagree on
    which host ``http://127.0.0.1@evil.com`` or ``http://evil.com\\@127.0.0.1`` names.
    ``bind_all`` also accepts 0.0.0.0 and ::, for OLLAMA_HOST, which Ollama's backend
    rewrites to 127.0.0.1 (``ollama serve`` takes the bind address from the same variable).
    """
    raw = url.strip()
    try:
        parts = urlsplit(raw if "://" in raw else f"http://{raw}")
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return False
    if parts.scheme not in {"http", "https"} or _AUTHORITY_TRICKS.search(parts.netloc):
        return False
    if bind_all and host in {"0.0.0.0", "::"}:
        return True
    return is_loopback_host(host)
