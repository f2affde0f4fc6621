"""The JSON:API 1.1 dialect (server half), with Atomic Operations and ``lid``.

``server(schema, route, server_config)`` builds the front door; JSON:API-shaped dialects
(Flask-Restless 1.0, Oro, DIDWW) call it with their own :class:`JsonApiProfile` (and, where
they add document semantics such as Oro's ``included``, subclass :class:`JsonApiServer`).
Rules and sources: ``dialects/jsonapi/README.md``.
"""

from __future__ import annotations

from relgate.config import Backend, Route, ServerConfig
from relgate.dialects import backend_route
from relgate.dialects.jsonapi.client import client, door_options
from relgate.dialects.jsonapi.documents import DocumentReader, LidScope, ResourceInput
from relgate.dialects.jsonapi.errors import Issues, error_object
from relgate.dialects.jsonapi.profile import ATOMIC_EXT, JSONAPI_1_1, JsonApiProfile
from relgate.dialects.jsonapi.rendering import DocumentWriter
from relgate.dialects.jsonapi.server import Context, JsonApiServer
from relgate.schema import Schema

__all__ = [
    "ATOMIC_EXT",
    "JSONAPI_1_1",
    "Context",
    "DocumentReader",
    "DocumentWriter",
    "Issues",
    "JsonApiProfile",
    "JsonApiServer",
    "LidScope",
    "ResourceInput",
    "backend_door",
    "client",
    "error_object",
    "server",
]


def server(schema: Schema, route: Route, server_config: ServerConfig, profile: JsonApiProfile = JSONAPI_1_1) -> JsonApiServer:
    """The JSON:API server half for one front door (``route.options`` may adjust the profile)."""
    return JsonApiServer(schema, route, server_config, profile)


def backend_door(schema: Schema, backend: Backend, server_config: ServerConfig) -> JsonApiServer:
    """The server half that answers as a JSON:API backend does (``relgate translate``'s offline stand-in):
    a front door at its root with its policies and its options less the client half's own."""
    return server(schema, backend_route(backend, door_options(backend.options)), server_config)
