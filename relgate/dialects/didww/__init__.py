"""The DIDWW dialect: JSON:API whose relationships change only inline, in a resource PATCH.

DIDWW API v3 (``../shared/reference/oro-didww.md`` A2) has no relationship write endpoints: a
to-one is set or cleared and a to-many replaced wholesale inside ``PATCH /{type}/{id}``.  It is
the JSON:API codec with the :data:`DIDWW` profile, for front doors and backends alike.
"""

from __future__ import annotations

from relgate.config import Backend, Route, ServerConfig
from relgate.dialects import backend_route
from relgate.dialects.jsonapi import JsonApiProfile, JsonApiServer
from relgate.dialects.jsonapi.client import JsonApiClient, door_options
from relgate.schema import Schema

DIDWW = JsonApiProfile(
    dialect="didww",
    version="1.0",
    media_type_params="none",
    atomic=False,
    lid=False,
    relationship_writes=False,
)
"""JSON:API 1.0 media types, relationship links readable, relationship writes only inline."""

__all__ = ["DIDWW", "backend_door", "client", "server"]


def server(schema: Schema, route: Route, server_config: ServerConfig) -> JsonApiServer:
    """The DIDWW front door (``route.options`` may adjust the profile)."""
    return JsonApiServer(schema, route, server_config, DIDWW)


def client(schema: Schema, backend: Backend) -> JsonApiClient:
    """The client half for a DIDWW backend: relationship changes become resource PATCHes with full linkage."""
    return JsonApiClient(schema, backend, DIDWW)


def backend_door(schema: Schema, backend: Backend, server_config: ServerConfig) -> JsonApiServer:
    """The server half that answers as a DIDWW backend does (``relgate translate``'s offline stand-in):
    a front door at its root with its policies and its options less the client half's own."""
    return server(schema, backend_route(backend, door_options(backend.options)), server_config)
