"""The OroPlatform dialect (server half): JSON:API with Oro's ``included`` extension.

Oro speaks JSON:API 1.0 strictly (no media type parameters) and lets a create or update request
create, update or upsert related resources in ``included``, naming new ones by temporary ids in
``id`` and answering with real ids plus ``meta.includeId``.  The codec is the JSON:API server
(:mod:`relgate.dialects.jsonapi`) with the :data:`~relgate.dialects.oro.profile.ORO` profile and
a thin subclass (:class:`~relgate.dialects.oro.server.OroServer`) for what JSON:API does not
have.  Rules and sources: ``dialects/oro/README.md``.
"""

from __future__ import annotations

from relgate.config import Backend, Route, ServerConfig
from relgate.dialects import backend_route
from relgate.dialects.jsonapi.client import JsonApiClient, door_options
from relgate.dialects.oro.profile import ORO
from relgate.dialects.oro.server import OroServer
from relgate.schema import Schema

__all__ = ["ORO", "OroServer", "backend_door", "client", "server"]


def server(schema: Schema, route: Route, server_config: ServerConfig) -> OroServer:
    """The Oro server half for one front door (``route.options`` may adjust the profile)."""
    return OroServer(schema, route, server_config, ORO)


def client(schema: Schema, backend: Backend) -> JsonApiClient:
    """The client half for an Oro backend: JSON:API 1.0 media types without parameters, always both headers."""
    return JsonApiClient(schema, backend, ORO, defaults=ORO_CLIENT)


ORO_CLIENT = {"count_request": "X-Include: totalCount", "total_header": "X-Include-Total-Count"}
"""Oro counts a collection only when asked (``X-Include: totalCount``) and answers in a header."""


def backend_door(schema: Schema, backend: Backend, server_config: ServerConfig) -> OroServer:
    """The server half that answers as an Oro backend does (``relgate translate``'s offline stand-in):
    a front door at its root with its policies and its options less the client half's own."""
    return server(schema, backend_route(backend, door_options(backend.options)), server_config)
