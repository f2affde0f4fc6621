"""0.17's URL rules and which methods each one routes (``manager.create_api_blueprint``).

The front door's prefix plays the role of 0.17's ``url_prefix`` (``/api``): with the
example's ``prefix = "/legacy/api"`` a client configured for ``http://host/api`` is pointed at
``http://host/legacy/api`` and every path below it is the same.  Paths seen here are
relative to the prefix:

====================================  =====================================================
``/<c>``                              POST; GET; PATCH/PUT if allow_patch_many; DELETE if allow_delete_many
``/<c>/<id>``                         GET, PATCH, PUT, DELETE (those in ``methods``)
``/<c>/<id>/<relation>``              as ``/<c>`` without POST
``/<c>/<id>/<relation>/<relid>``      as ``/<c>/<id>``
``/eval/<c>``                         GET, only with allow_functions
====================================  =====================================================

HEAD goes wherever GET goes and OPTIONS everywhere (Flask adds both).  No trailing slash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from relgate.dialects.restless_legacy.errors import method_not_allowed, no_route
from relgate.dialects.restless_legacy.fields import Catalog, Fields
from relgate.dialects.restless_legacy.settings import CollectionSettings, Settings
from relgate.schema import Relationship

Kind = Literal["collection", "instance", "relation", "relation_instance", "eval"]


@dataclass(frozen=True, slots=True)
class Collection:
    fields: Fields
    settings: CollectionSettings
    allowed: dict[str, frozenset[str]]
    """URL kind -> methods routed there (HEAD/OPTIONS included)."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: Kind
    collection: Collection
    instid: str | None = None
    relation: Relationship | None = None
    relation_name: str | None = None
    relinstid: str | None = None

    @property
    def fields(self) -> Fields:
        return self.collection.fields


def allowed_methods(s: CollectionSettings) -> dict[str, frozenset[str]]:
    m = s.methods
    many = m & {"GET"}
    if s.allow_patch_many and ("PATCH" in m or "PUT" in m):
        many |= {"PATCH", "PUT"}
    if s.allow_delete_many and "DELETE" in m:
        many |= {"DELETE"}
    instance = m & {"GET", "PATCH", "PUT", "DELETE"}
    out = {
        "collection": many | (m & {"POST"}),
        "instance": instance,
        "relation": many,
        "relation_instance": instance,
        "eval": frozenset({"GET"}) if s.allow_functions else frozenset(),
    }
    return {k: frozenset(v | ({"HEAD"} if "GET" in v else set()) | {"OPTIONS"}) for k, v in out.items()}


class Router:
    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        self.collections: dict[str, Collection] = {}
        for fields in catalog.by_type.values():
            s = settings.for_collection(fields.name)
            if s is not None:
                self.collections[fields.name] = Collection(fields, s, allowed_methods(s))

    def match(self, method: str, path: str) -> Target:
        """The URL's target; 404 for no rule, 405 (with ``Allow``) for a method not routed there."""
        segments = path.split("/")[1:] if path.startswith("/") else None
        if not segments or any(s == "" for s in segments) or len(segments) > 4:
            raise no_route(f"No URL {path!r} here (expected /<collection>[/<id>[/<relation>[/<id>]]] or /eval/<collection>)")
        if len(segments) == 2 and segments[0] == "eval":
            evaluated = self.collections.get(segments[1])
            if evaluated is not None and evaluated.settings.allow_functions:
                return self._check(method, Target("eval", evaluated))
        collection = self.collections.get(segments[0])
        if collection is None:
            raise no_route(f"No collection {segments[0]!r} (known: {', '.join(sorted(self.collections))})")
        if len(segments) == 1:
            return self._check(method, Target("collection", collection))
        instid = segments[1]
        if len(segments) == 2:
            return self._check(method, Target("instance", collection, instid))
        name = segments[2]
        relation = collection.fields.relationships.get(name)
        kind: Kind = "relation" if len(segments) == 3 else "relation_instance"
        target = self._check(method, Target(kind, collection, instid, relation, name, segments[3] if len(segments) == 4 else None))
        return target

    def _check(self, method: str, target: Target) -> Target:
        allowed = target.collection.allowed[target.kind]
        if method not in allowed:
            raise method_not_allowed(method, allowed)
        return target
