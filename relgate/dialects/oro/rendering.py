"""Oro response documents: resource objects as the Oro documentation shows them.

A resource object is ``type``, ``id``, optional ``meta`` (``includeId`` for items that came from
the request's ``included``), ``attributes`` and ``relationships`` holding linkage only (``data``);
Oro's documents carry no ``links`` and no ``jsonapi`` member.  Sparse fieldsets
(``fields[TYPE]``) limit attributes and relationships.  ``included`` never repeats a resource,
nor the primary one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from relgate.dialects.jsonapi.rendering import LinkageWriter
from relgate.model import Resource
from relgate.schema import render_attribute


class OroWriter(LinkageWriter):
    """Compiled once per front door: the Oro names of the types (identifiers and linkage shared)."""

    def resource(self, r: Resource, fields: Mapping[str, frozenset[str]], meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
        rtype = self.schema[r.type]
        wanted = fields.get(r.type)
        obj: dict[str, Any] = {"type": self.names[r.type], "id": r.id}
        if meta:
            obj["meta"] = dict(meta)
        attributes = {
            name: render_attribute(attr.kind, r.attributes[name])
            for name, attr in rtype.attributes.items()
            if name in r.attributes and (wanted is None or name in wanted)
        }
        if attributes:
            obj["attributes"] = attributes
        relationships = {
            name: {"data": self.linkage(r.relationships[name])}
            for name in rtype.relationships
            if name in r.relationships and (wanted is None or name in wanted)
        }
        if relationships:
            obj["relationships"] = relationships
        return obj

    def included(
        self,
        resources: Iterable[Resource],
        fields: Mapping[str, frozenset[str]],
        exclude: Iterable[Resource] = (),
    ) -> list[dict[str, Any]]:
        seen = {(r.type, r.id) for r in exclude}
        out = []
        for r in resources:
            if (r.type, r.id) in seen:
                continue
            seen.add((r.type, r.id))
            out.append(self.resource(r, fields))
        return out
