"""Dialects: sans-IO codecs between a wire format and the canonical model.

A dialect's *server half* is built once per front door by its factory (``server(schema,
route, server_config)``), compiling whatever name maps and routes it needs, and then offers:

- ``parse(request) -> Intent``: the caller's request as a canonical :class:`Batch` plus the
  dialect's own render context; raises :class:`~relgate.model.ProblemError` on bad input.
- ``render(intent, outcome) -> HttpResponse``: the answer in the caller's dialect.
- ``render_error(error, request) -> HttpResponse``: problems in the dialect's error format.
  Headers the error carries (``ProblemError.headers``, e.g. ``Allow`` for a 405) are added by
  the front door; ``render_error`` leaves them out.

A dialect's *client half* (``client(schema, backend)``, for dialects that can be a backend)
speaks to a backend of that dialect on relgate's behalf:

- ``capabilities``: what the backend can express natively (:mod:`relgate.capabilities`);
- ``exchange(op) -> Exchange``: the backend requests that carry out one canonical op and the
  reading of their answers (:mod:`relgate.dialects.client`).

For ``relgate translate``, :func:`backend_door` builds the server half that answers *as a backend
of a dialect would*: it parses each request a client half writes (so a request the dialect would
refuse shows) and renders canned or assumed results in the backend's wire format, offline.

No dialect does I/O: no sockets, no database, no awaits.  Modules are imported lazily by name
so that ``relgate check`` can validate a config without importing every codec.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from relgate.capabilities import Capabilities
from relgate.config import Backend, Route, ServerConfig
from relgate.dialects.client import Exchange
from relgate.model import Batch, HttpRequest, HttpResponse, Op, Outcome, ProblemError
from relgate.schema import Schema

DIALECTS: dict[str, str] = {
    "jsonapi": "relgate.dialects.jsonapi",
    "restless-legacy": "relgate.dialects.restless_legacy",
    "oro": "relgate.dialects.oro",
    "strapi": "relgate.dialects.strapi",
    "restless": "relgate.dialects.restless",
    "didww": "relgate.dialects.didww",
}
"""Dialect name -> module offering ``server(schema, route, server_config)`` and ``client(schema, backend)``."""


@dataclass(frozen=True, slots=True)
class Intent:
    """What a parsed request asks for: the batch to run and how to answer (dialect-private)."""

    batch: Batch
    context: Any = None


class ServerDialect(Protocol):
    def parse(self, request: HttpRequest) -> Intent: ...

    def render(self, intent: Intent, outcome: Outcome) -> HttpResponse: ...

    def render_error(self, error: ProblemError, request: HttpRequest | None) -> HttpResponse: ...


class ClientDialect(Protocol):
    name: str
    """The backend's name (``[backends.NAME]``), for problems and metrics."""
    capabilities: Capabilities

    def exchange(self, op: Op) -> Exchange: ...


ServerFactory = Callable[..., ServerDialect]
ClientFactory = Callable[..., ClientDialect]


def server_factory(name: str) -> ServerFactory:
    module = importlib.import_module(DIALECTS[name])
    return module.server


def backend_door(schema: Schema, backend: Backend, server_config: ServerConfig) -> ServerDialect:
    """The server half that stands in for ``backend`` offline.

    A dialect module may define ``backend_door(schema, backend, server_config)`` for what its server
    half needs beyond a route at the backend's root with its options and policies (which options
    are the client half's own; ids that relgate did not make); otherwise :func:`backend_route`.
    """
    module = importlib.import_module(DIALECTS[backend.dialect])
    own = getattr(module, "backend_door", None)
    if own is not None:
        return own(schema, backend, server_config)
    return module.server(schema, backend_route(backend), server_config)


def backend_route(backend: Backend, options: Mapping[str, Any] | None = None) -> Route:
    """A route of ``backend``'s dialect at its API root, with its policies (and ``options``, the
    backend's own by default)."""
    prefix = urlsplit(backend.url).path.rstrip("/")
    return Route(prefix, backend.dialect, backend.name, dict(backend.options if options is None else options), dict(backend.policies))


def client_factory(name: str) -> ClientFactory:
    """The client-half factory of dialect ``name`` (``ValueError`` when it cannot be a backend)."""
    module = importlib.import_module(DIALECTS[name])
    factory = getattr(module, "client", None)
    if factory is None:
        raise ValueError(f"the dialect {name!r} cannot be a backend yet")
    return factory
