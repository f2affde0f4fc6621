"""URLs of a JSON:API front door: matching a request path to an endpoint, and building links.

Layout (JSON:API recommendations; relationship segment per profile)::

    /{type}                              collection   GET POST
    /{type}/{id}                         resource     GET PATCH DELETE
    /{type}/{id}/{rel}                   related      GET
    /{type}/{id}/relationships/{rel}     relationship GET PATCH (+ POST DELETE on a to-many)
    /operations                          operations   POST (Atomic Operations)

Unknown types, ids of the wrong form and unknown relationships are 404, as a URL that does
not exist is.  Paths are relative to the route prefix; one trailing slash is tolerated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from relgate.dialects.jsonapi.errors import not_found
from relgate.dialects.jsonapi.profile import JsonApiProfile
from relgate.model import Ident
from relgate.schema import Relationship, ResourceType, Schema, parse_id

EndpointKind = Literal["collection", "resource", "related", "relationship", "operations"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: EndpointKind
    type: ResourceType | None = None
    id: str | None = None
    relationship: Relationship | None = None

    @property
    def ref(self) -> Ident:
        assert self.type is not None and self.id is not None
        return Ident(self.type.name, self.id)


class Router:
    """Compiled once per front door: the type names of the profile's dialect."""

    def __init__(self, schema: Schema, profile: JsonApiProfile) -> None:
        self.profile = profile
        self.types = dict(schema.names_for(profile.dialect))
        self.segments = frozenset(profile.relationship_segments)
        if profile.atomic and profile.operations_path.strip("/") in self.types:
            raise ValueError(f"the operations path {profile.operations_path!r} collides with a type of the same name")

    def match(self, path: str) -> Endpoint:
        """The endpoint of ``path``; raises a 404 ProblemError when there is none."""
        if self.profile.atomic and path.rstrip("/") == self.profile.operations_path:
            return Endpoint("operations")
        trimmed = path[1:] if path.startswith("/") else path
        if trimmed.endswith("/"):
            trimmed = trimmed[:-1]
        parts = trimmed.split("/") if trimmed else []
        if not parts or len(parts) > 4 or any(p == "" for p in parts):
            raise not_found(f"There is no endpoint at '{path}'.")
        rtype = self.types.get(parts[0])
        if rtype is None:
            raise not_found(f"There is no resource type '{parts[0]}'.")
        if len(parts) == 1:
            return Endpoint("collection", rtype)
        id_ = parse_id(rtype.id_style, parts[1])
        if id_ is None:
            raise not_found(f"'{parts[1]}' is not a valid id for '{parts[0]}' ({rtype.id_style} ids), so there is no such resource.")
        if len(parts) == 2:
            return Endpoint("resource", rtype, id_)
        if len(parts) == 3:
            return Endpoint("related", rtype, id_, self._relationship(rtype, parts[0], parts[2]))
        if parts[2] not in self.segments or not (self.profile.relationship_reads or self.profile.relationship_writes):
            raise not_found(f"There is no endpoint at '{path}'.")
        return Endpoint("relationship", rtype, id_, self._relationship(rtype, parts[0], parts[3]))

    def _relationship(self, rtype: ResourceType, type_name: str, name: str) -> Relationship:
        rel = rtype.relationships.get(name)
        if rel is None:
            raise not_found(f"'{type_name}' has no relationship '{name}'.", title="Relationship not found")
        return rel

    def allowed(self, endpoint: Endpoint) -> tuple[str, ...]:
        """The methods an endpoint takes (for 405 and ``Allow``)."""
        kind = endpoint.kind
        if kind == "collection":
            return ("GET", "POST")
        if kind == "resource":
            return ("GET", "PATCH", "DELETE")
        if kind == "related":
            return ("GET",)
        if kind == "operations":
            return ("POST",)
        methods: tuple[str, ...] = ("GET",) if self.profile.relationship_reads else ()
        if self.profile.relationship_writes:
            assert endpoint.relationship is not None
            methods += ("PATCH", "POST", "DELETE") if endpoint.relationship.many else ("PATCH",)
        return methods


class Urls:
    """Builds the links of one response from the front door's root URL."""

    __slots__ = ("names", "root", "segment")

    def __init__(self, root: str, names: dict[str, str], segment: str) -> None:
        self.root = root.rstrip("/")
        self.names = names
        self.segment = segment

    def collection(self, type_name: str) -> str:
        return f"{self.root}/{self.names[type_name]}"

    def resource(self, type_name: str, id_: str) -> str:
        return f"{self.root}/{self.names[type_name]}/{quote(id_, safe='')}"

    def related(self, type_name: str, id_: str, rel: str) -> str:
        return f"{self.resource(type_name, id_)}/{rel}"

    def relationship(self, type_name: str, id_: str, rel: str) -> str:
        return f"{self.resource(type_name, id_)}/{self.segment}/{rel}"

    def path(self, path: str, query: str = "") -> str:
        return f"{self.root}{path}" + (f"?{query}" if query else "")
