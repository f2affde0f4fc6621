"""The gateway's edge: which absolute URL a caller is given, and headers on every answer.

Absolute URLs (0.17's ``Location`` and ``Link``) are built from :func:`Origins.origin`, never
from the raw ``Host`` header: the configured ``server.public_url`` when there is one; else the
forwarded scheme and host, but only when the connecting peer is one of
``server.trusted_proxies`` and the values are a plain ``http``/``https`` and a syntactically
valid ``host[:port]``; else the address the connection was accepted on.  So neither
``X-Forwarded-Proto: javascript`` nor ``Host: x>; rel="evil"`` reaches a header relgate sends.

:class:`EdgeHeaders` wraps the whole application (pure ASGI, a ``send`` wrapper) and adds
``X-Content-Type-Options: nosniff`` to every answer.  relgate's own answers (not a backend's,
streamed through untouched) get a ``Cache-Control`` where the dialect set none
(:func:`cache_control`): ``no-store`` on errors and on the answers to writes, ``no-cache`` on
successful reads (every read reflects the store now; a write through any front door changes it).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")

_HOST = re.compile(
    r"""
    (?: \[ [0-9A-Fa-f:.]+ \]                        # an IPv6 literal
      | [A-Za-z0-9] (?: [A-Za-z0-9-]{0,61} [A-Za-z0-9] )?
        (?: \. [A-Za-z0-9] (?: [A-Za-z0-9-]{0,61} [A-Za-z0-9] )? )* \.?   # a DNS name or IPv4 address
    )
    (?: : [0-9]{1,5} )?                             # a port
    """,
    re.VERBOSE,
)
_SCHEMES = frozenset({"http", "https"})
_READS = frozenset({"GET", "HEAD"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """IP addresses and CIDR blocks as networks (raises ValueError on a bad one); ``"*"`` is every peer."""
    out: list[Network] = []
    for v in values:
        if v.strip() == "*":
            out += [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
        else:
            out.append(ipaddress.ip_network(v.strip(), strict=False))
    return tuple(out)


def public_url_problem(value: str) -> str | None:
    """Why ``server.public_url`` is unusable, or None: ``http(s)://host[:port][/path]``."""
    parts = urlsplit(value)
    if parts.scheme not in _SCHEMES or not parts.netloc:
        return 'must be an absolute http or https URL such as "https://api.example.com"'
    if parts.query or parts.fragment or "@" in parts.netloc or not _HOST.fullmatch(parts.netloc):
        return "must be scheme://host[:port] with an optional path, without user, query or fragment"
    if parts.path.endswith("/"):
        return "must not end with '/'"
    return None


def valid_host(value: str) -> bool:
    """A ``Host``/``X-Forwarded-Host`` value that may be written into a URL as it is."""
    return len(value) <= 255 and _HOST.fullmatch(value) is not None


class Origins:
    """Decides the origin (``scheme://host[:port]``) absolute URLs are built from, per request."""

    def __init__(self, public_url: str = "", trusted_proxies: Iterable[str] = DEFAULT_TRUSTED_PROXIES) -> None:
        self.public_url = public_url.rstrip("/")
        self.trusted = networks(trusted_proxies)

    def trusts(self, peer: str | None) -> bool:
        if not peer:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in net for net in self.trusted)

    def origin(self, scope: Scope, headers: Mapping[str, str]) -> str:
        """The origin for this request, or ``""`` when none is known (URLs stay relative)."""
        if self.public_url:
            return self.public_url
        scheme = scope.get("scheme", "http")
        client = scope.get("client")
        if self.trusts(client[0] if client else None):
            proto = _first(headers.get("x-forwarded-proto")).lower()
            host = _first(headers.get("x-forwarded-host")) or headers.get("host", "").strip()
            if proto in _SCHEMES:
                scheme = proto
            if valid_host(host):
                return f"{scheme}://{host}"
        return _listening(scheme, scope.get("server"))


def _first(value: str | None) -> str:
    """The first (client-side) entry of a forwarded header a chain of proxies appended to."""
    return (value or "").split(",")[0].strip()


def _listening(scheme: str, server: tuple[str, int | None] | None) -> str:
    if not server or not server[0] or scheme not in _SCHEMES:
        return ""
    host, port = server
    if ":" in host:
        host = f"[{host}]"
    if not valid_host(host):
        return ""
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


class EdgeHeaders:
    """Adds ``X-Content-Type-Options: nosniff`` to every HTTP answer of ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cache_control(method: str, status: int) -> bytes:
    """``no-store`` for errors and writes, ``no-cache`` for successful reads."""
    if status >= 400 or method not in _READS:
        return b"no-store"
    return b"no-cache"
