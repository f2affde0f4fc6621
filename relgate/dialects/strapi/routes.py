"""Strapi's content-API routes for collection types (``core-api/routes``), relative to the prefix.

=========================  ===========  ==============================
``GET    /:plural``         ``find``     list, 200
``POST   /:plural``         ``create``   201 (Strapi 4: 200)
``GET    /:plural/:id``     ``findOne``  200
``PUT    /:plural/:id``     ``update``   200
``DELETE /:plural/:id``     ``delete``   204 (Strapi 4: 200 with the entry)
=========================  ===========  ==============================

``:id`` is the documentId in Strapi 5 and the numeric id in Strapi 4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from relgate.dialects.strapi.errors import not_found, strapi_error
from relgate.model import ProblemError
from relgate.schema import ResourceType

COLLECTION = {"GET": "find", "POST": "create"}
DOCUMENT = {"GET": "findOne", "PUT": "update", "DELETE": "delete"}


@dataclass(frozen=True, slots=True)
class Route:
    action: str
    type: ResourceType
    document: str | None = None


def route(method: str, path: str, types: Mapping[str, ResourceType]) -> Route:
    """The action a request names; 404 NotFoundError for an unknown path, 405 for a wrong method."""
    parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
    if not parts or len(parts) > 2 or parts[0] not in types:
        raise not_found()
    rtype = types[parts[0]]
    actions = COLLECTION if len(parts) == 1 else DOCUMENT
    action = actions.get(method.upper())
    if action is None:
        allowed = ", ".join(actions)
        raise _method_not_allowed(allowed)
    return Route(action, rtype, parts[1] if len(parts) == 2 else None)


def _method_not_allowed(allowed: str) -> ProblemError:
    error = strapi_error(405, "MethodNotAllowedError", "Method Not Allowed", code="method-not-allowed")
    error.headers = {"allow": allowed}
    return error
