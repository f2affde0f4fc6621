"""``restless-legacy``: the Flask-Restless 0.17 plain-JSON API (``q`` search, nested bodies, ``/eval``).

Rules and sources: ``dialects/restless-legacy/README.md``.  Modules: :mod:`.routes` (URL rules
and methods), :mod:`.search` (``q``), :mod:`.nested` (bodies -> ops), :mod:`.documents`
(responses), :mod:`.answers` and :mod:`.client` (the client half), :mod:`.errors`,
:mod:`.settings` (front-door options), :mod:`.fields` (the
columns 0.17 shows), :mod:`.server` (parse / render).
"""

from __future__ import annotations

from relgate.config import Backend, Route, ServerConfig
from relgate.dialects.restless_legacy.client import LegacyClient
from relgate.dialects.restless_legacy.server import LegacyServer
from relgate.schema import Schema

__all__ = ["LegacyClient", "LegacyServer", "client", "server"]


def server(schema: Schema, route: Route, server_config: ServerConfig) -> LegacyServer:
    return LegacyServer(schema, route, server_config)


def client(schema: Schema, backend: Backend) -> LegacyClient:
    """The client half for a Flask-Restless 0.17 backend (``options``: its ``create_api`` settings)."""
    return LegacyClient(schema, backend)
