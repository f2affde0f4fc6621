"""Streaming a request to a backend and its answer back, untouched (no buffering, no parsing).

A per-request responder in the manner of Starlette's middlewares: the caller's body is read from
``receive`` chunk by chunk as httpx sends it, and the backend's answer is relayed chunk by chunk
as it arrives (``aiter_raw``: still compressed if it was).  Only hop-by-hop headers are dropped
both ways and forwarding headers added (:mod:`relgate.targets.forwarding`).

A fault before the answer starts — refused, unreachable, no answer in time — is raised as
:class:`~relgate.targets.remote.BackendFault` for the front door to answer in the caller's
dialect (502/504).  A fault after the status line went out cannot change the status: the
response is left incomplete, so the server closes the connection and the caller sees a
truncated answer rather than a silently short one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from relgate.targets import Call
from relgate.targets.forwarding import end_to_end
from relgate.targets.remote import RemoteTarget

log = logging.getLogger("relgate")
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class PassThrough:
    """Decides which requests of a front door go to its backend untouched, and streams them."""

    def __init__(self, target: RemoteTarget, dialect: Any, *, whole_route: bool) -> None:
        self.target = target
        self.whole_route = whole_route
        self.covers = getattr(dialect, "covers", None)

    def takes(self, path: str) -> bool:
        """True for a request to stream untouched: the whole route, or a path the dialect does not serve."""
        return self.whole_route or (self.covers is not None and not self.covers(path))

    async def __call__(self, scope: Scope, receive: Receive, send: Send, path: str, call: Call) -> None:
        if self.target.app is not None:
            # The backend is an app in this process: hand it the request itself, rebased onto its API root.
            inner = self.target.root + path
            rebased = {**{k: v for k, v in scope.items() if k != "raw_path"}, "path": inner, "root_path": ""}  # raw_path is optional
            await self.target.app(rebased, receive, send)
            return
        method = scope["method"]
        raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        names = {k.lower() for k, _ in raw}
        has_body = method not in _BODYLESS or "content-length" in names or "transfer-encoding" in names
        query = scope.get("query_string", b"").decode("latin-1")
        answer = await self.target.stream(method, path, query, raw, _body(receive) if has_body else None, call)
        try:
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in end_to_end(answer.headers.multi_items(), keep_length=True)]
            await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
            async for chunk in answer.aiter_raw():
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.HTTPError as exc:
            log.warning("backend %s broke off a streamed answer to %s %s: %s", self.target.name, method, path, exc)
        finally:
            await answer.aclose()


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
