"""What relgate knows about the request being served, for any code running on its behalf.

The observer (:mod:`relgate.observe`) opens one :class:`RequestContext` per HTTP request and
keeps it in a context variable, so a target can read the request id (to send it on to a
backend as ``X-Request-ID``) and count its backend calls without being handed anything.  ASGI
servers run each request in its own task, and tasks copy the context, so concurrent requests
never see each other's.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from typing import Any

REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
"""A caller's id is kept when it is 1-128 characters of this set (a UUID, nginx's ``$request_id``,
a W3C trace id, base64 …); anything else (spaces, quotes, control characters, a 2 KB blob) could
forge log lines or fill them, and is replaced by a fresh id."""


class RequestContext:
    """One request: its id, the front door that took it, and how many backend calls it made."""

    __slots__ = ("backend_requests", "door", "request_id")

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.door: Any = None
        """The :class:`relgate.metrics.DoorMetrics` of the front door serving it (None: no door)."""
        self.backend_requests = 0


_current: ContextVar[RequestContext | None] = ContextVar("relgate_request", default=None)


def current() -> RequestContext | None:
    """The request being served, or None outside one (start-up, a background task, a test)."""
    return _current.get()


def current_request_id() -> str | None:
    """The id of the request being served: what a backend call sends as ``X-Request-ID``."""
    ctx = _current.get()
    return ctx.request_id if ctx is not None else None


def new_request_id() -> str:
    """32 random hex digits (as random as a UUID4, without building a UUID object per request)."""
    return os.urandom(16).hex()


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's ``X-Request-ID`` when it is acceptable, else a new one."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1").strip()
            if _VALID_ID.fullmatch(text):
                return text
            break
    return new_request_id()


def enter(ctx: RequestContext) -> object:
    return _current.set(ctx)


def leave(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
