"""Targets carry out canonical batches: relgate's own store, or a backend reached over HTTP.

Every target has the same small lifecycle, so the gateway (and, later, the middleware) treats
them alike: ``open()`` at start-up, ``execute(batch, call)`` per request, ``close()`` at shutdown.
``call`` describes the caller's request as far as a target may need it (credentials and
forwarding headers a backend must see); the store ignores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from relgate.model import Batch, Outcome


@dataclass(frozen=True, slots=True)
class Readiness:
    """What ``/readyz`` reports for one target: can it serve requests now, and a short why."""

    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Call:
    """The caller's side of one request, as a target may need it (plain values, no I/O).

    ``headers`` are the caller's request headers (lower-case names); ``client`` the peer
    address; ``scheme`` and ``host`` what the caller used to reach relgate; ``request_id`` the
    id relgate logs the request under (the caller's valid ``X-Request-ID``, else a new one),
    which a backend receives as its ``X-Request-ID``.
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    client: str = ""
    scheme: str = "http"
    host: str = ""
    request_id: str = ""


NO_CALL = Call()


class Target(Protocol):
    """What a front door needs from whatever serves its route."""

    name: str

    async def open(self) -> None:
        """Acquire what the target needs (tables, a connection pool); called once at start-up."""

    async def close(self) -> None:
        """Release it; called once at shutdown."""

    async def execute(self, batch: Batch, call: Call = NO_CALL) -> Outcome:
        """Carry out ``batch``; raise :class:`~relgate.model.ProblemError` to refuse it."""
        ...

    async def check(self) -> Readiness:
        """Whether the target can serve now (the store answers a query; a backend answers).

        For ``/readyz``: must not raise, should be quick and cheap (it is polled, and bounded by a
        timeout). A target without this method is reported ready.
        """
        ...
