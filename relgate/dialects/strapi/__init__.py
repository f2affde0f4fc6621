"""The ``strapi`` dialect: Strapi 5 (and the Strapi 4 response format) content API.

Rules and sources: ``dialects/strapi/README.md``.  Modules, one job each:
``routes`` (URL -> action), ``qs`` (bracket query strings), ``query`` (filters, sort, fields,
populate, pagination -> canonical Query), ``relations`` (relation values -> canonical ops),
``documents`` (request ``data``; v5/v4 entries), ``docids`` (documentIds), ``errors``
(Strapi's error envelope), ``server`` (the server half that ties them together); for a
Strapi backend ``client`` (the client half), ``answers`` (entries and errors read back) and
``filters_out`` (canonical filters as ``filters`` trees).
"""

from __future__ import annotations

from relgate.config import Backend, Route, ServerConfig
from relgate.dialects import backend_route
from relgate.dialects.strapi.client import StrapiClient
from relgate.dialects.strapi.docids import OpaqueIds
from relgate.dialects.strapi.server import StrapiServer
from relgate.schema import Schema

__all__ = ["StrapiClient", "StrapiServer", "backend_door", "client", "server"]


def server(schema: Schema, route: Route, server_config: ServerConfig) -> StrapiServer:
    return StrapiServer(schema, route, server_config)


def client(schema: Schema, backend: Backend) -> StrapiClient:
    """The client half for a Strapi 5 backend (``options.response_format = "v4"``: Strapi 4)."""
    return StrapiClient(schema, backend)


def backend_door(schema: Schema, backend: Backend, server_config: ServerConfig) -> StrapiServer:
    """The server half that answers as a Strapi backend does (``relgate translate``'s offline
    stand-in): its documentIds are the backend's own, taken as they are (:class:`OpaqueIds`)."""
    return StrapiServer(schema, backend_route(backend), server_config, ids=OpaqueIds(schema.types))
