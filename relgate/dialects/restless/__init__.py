"""The Flask-Restless 1.0 / flask-restless-ng dialect (JSON:API flavour), server half.

The JSON:API codec (:mod:`relgate.dialects.jsonapi`) with :data:`RESTLESS_1_0`, its
differences as data, plus :class:`RestlessServer` for NG's request-handling rules that are
not document format.  Rules, sources and deliberate differences: ``dialects/restless/README.md``.
"""

from __future__ import annotations

import dataclasses

from relgate.config import Backend, Route, ServerConfig
from relgate.dialects import backend_route
from relgate.dialects.jsonapi.client import JsonApiClient, door_options
from relgate.dialects.restless.profile import ORIGINAL_OPTIONS, RESTLESS_1_0, profile_for, shape_error
from relgate.dialects.restless.server import RestlessServer, RestlessWrites
from relgate.schema import Schema

__all__ = [
    "ORIGINAL_OPTIONS",
    "RESTLESS_1_0",
    "RestlessServer",
    "RestlessWrites",
    "backend_door",
    "client",
    "profile_for",
    "server",
    "shape_error",
]


def server(schema: Schema, route: Route, server_config: ServerConfig) -> RestlessServer:
    """The ``restless`` front door; ``route.options`` may use ``create_api``'s keyword names."""
    profile, rest = profile_for(route.options)
    return RestlessServer(schema, dataclasses.replace(route, options=rest), server_config, profile)


def client(schema: Schema, backend: Backend) -> JsonApiClient:
    """The client half for a flask-restless-ng backend: its profile, and ``filter[objects]`` filters."""
    profile, rest = profile_for(backend.options)
    return JsonApiClient(schema, dataclasses.replace(backend, options=rest), profile, defaults={"filter": "restless"})


def backend_door(schema: Schema, backend: Backend, server_config: ServerConfig) -> RestlessServer:
    """The server half that answers as a flask-restless-ng backend does (``relgate translate``'s offline stand-in):
    a front door at its root with its policies and its options less the client half's own."""
    return server(schema, backend_route(backend, door_options(backend.options)), server_config)
