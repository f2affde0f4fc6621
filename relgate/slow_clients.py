"""The limits ``relgate serve`` gives uvicorn to protect it from slow and greedy clients.

uvicorn bounds idle keep-alive connections (``timeout_keep_alive``) and the number of
connections (``limit_concurrency``: requests beyond it get 503), but it has no deadline for
*receiving* a request head: a client that sends a header byte every few seconds (slowloris)
holds its connection for ever, since uvicorn's keep-alive timer stops at the first byte.
:class:`HeadDeadlineProtocol` adds that deadline to uvicorn's httptools protocol (the C parser;
uvicorn's h11 protocol, pure Python, halves the requests a core serves): from the moment a
connection is made, or a response is complete, the next request's line and headers must arrive
within ``header_timeout`` seconds, else relgate answers ``408`` and closes.  It also bounds the
bytes of a request head still incomplete (``max_head_bytes``: the limit uvicorn gives only its
h11 protocol, ``h11_max_incomplete_event_size``, with the same ``400``).  The body has its own
deadline in the front door (``server.body_timeout``).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from relgate.config import ServerConfig

_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: 15\r\n"
    b"\r\n"
    b"Request Timeout"
)


class HeadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request head and a bound on its size."""

    def __init__(self, *args: Any, header_timeout: float = 10.0, max_head_bytes: int = 16384, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.max_head_bytes = max_head_bytes
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0  # bytes received while the current head is incomplete
        self._head_done = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted once parsed: bytes that leave a head incomplete (not a body still arriving after an early answer).
        if not self._head_done and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self.send_400_response("Invalid HTTP request received.")  # as uvicorn's h11 protocol answers a head too large

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_done = False

    def on_headers_complete(self) -> None:
        self._head_done = True
        self._head_bytes = 0
        self._disarm()  # a whole request head has arrived: the front door times the body
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # (a pipelined request may already have started a new cycle: its head is complete)
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_bytes = 0
        self._head_deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _expired(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return
        # Partial head: tell the client why (RFC 9110 §15.5.9); an idle connection just closes.
        if self._head_bytes:
            self.transport.write(_TIMEOUT)
        self.transport.close()


def uvicorn_settings(server: ServerConfig) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config`` from the ``[server]`` limits."""
    return {
        "http": functools.partial(HeadDeadlineProtocol, header_timeout=server.header_timeout, max_head_bytes=server.max_header_bytes),
        "timeout_keep_alive": server.keep_alive_timeout,
        "limit_concurrency": server.max_connections,
        # uvicorn's own X-Forwarded-For handling (on by default for 127.0.0.1) would replace the
        # peer address the gateway's edge judges against server.trusted_proxies (relgate/edge.py);
        # `relgate serve --proxy-headers` turns it on (relgate/serving.py).
        "proxy_headers": False,
    }
