"""Writing response documents: resource objects, linkage, links, compound documents.

Ids are strings and types the profile dialect's names.  Every relationship of a resource gets
``links`` (``self`` when relationship URLs exist, and ``related``) and, when the read carried
it, its linkage as ``data``.  Sparse fieldsets (``fields[TYPE]``) limit attributes and
relationships.  ``included`` never repeats a resource, nor one already in the primary data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from relgate.dialects.jsonapi.profile import JsonApiProfile
from relgate.dialects.jsonapi.routes import Urls
from relgate.model import Ident, Linkage, Resource
from relgate.schema import Schema, render_attribute


class LinkageWriter:
    """Resource identifier objects and linkage in one dialect's type names (compiled once).

    Shared by every JSON:API-shaped writer (this codec's and Oro's).
    """

    def __init__(self, schema: Schema, dialect: str) -> None:
        self.schema = schema
        self.names = {t.name: t.name_in(dialect) for t in schema.types.values()}

    def identifier(self, ident: Ident) -> dict[str, str]:
        if ident.id is None:
            raise ValueError(f"cannot render an unresolved lid: {ident!r}")
        return {"type": self.names[ident.type], "id": ident.id}

    def linkage(self, value: Linkage) -> Any:
        if value is None:
            return None
        if isinstance(value, tuple):
            return [self.identifier(i) for i in value]
        return self.identifier(value)


class DocumentWriter(LinkageWriter):
    """Renders the documents of one front door (name maps compiled once)."""

    def __init__(self, schema: Schema, profile: JsonApiProfile) -> None:
        super().__init__(schema, profile.dialect)
        self.profile = profile
        self.segment = profile.relationship_segments[0]

    def urls(self, root: str) -> Urls:
        return Urls(root, self.names, self.segment)

    def jsonapi(self, ext: Iterable[str] = ()) -> dict[str, Any]:
        obj: dict[str, Any] = {"version": self.profile.version}
        ext = sorted(ext)
        if ext:
            obj["ext"] = ext
        return obj

    def resource(self, r: Resource, urls: Urls, fields: Mapping[str, frozenset[str]]) -> dict[str, Any]:
        rtype = self.schema[r.type]
        wanted = fields.get(r.type)
        obj: dict[str, Any] = {"type": self.names[r.type], "id": r.id}
        attributes = {
            name: render_attribute(attr.kind, r.attributes[name])
            for name, attr in rtype.attributes.items()
            if name in r.attributes and (wanted is None or name in wanted)
        }
        if attributes:
            obj["attributes"] = attributes
        relationships: dict[str, Any] = {}
        for name in rtype.relationships:
            if wanted is not None and name not in wanted:
                continue
            links = {"related": urls.related(r.type, r.id, name)}
            if self.profile.relationship_reads:
                links = {"self": urls.relationship(r.type, r.id, name), **links}
            member: dict[str, Any] = {"links": links}
            if name in r.relationships:
                member["data"] = self.linkage(r.relationships[name])
            relationships[name] = member
        if relationships:
            obj["relationships"] = relationships
        obj["links"] = {"self": urls.resource(r.type, r.id)}
        return obj

    def included(
        self, resources: Iterable[Resource], urls: Urls, fields: Mapping[str, frozenset[str]], primary: Iterable[Resource] = ()
    ) -> list[dict[str, Any]]:
        seen = {(r.type, r.id) for r in primary}
        out = []
        for r in resources:
            if (r.type, r.id) in seen:
                continue
            seen.add((r.type, r.id))
            out.append(self.resource(r, urls, fields))
        return out
