"""Strapi documents: the ``data`` of a request body, and entries in the v5 and v4 formats.

Strapi 5 (flat)::

    {"id": 4, "documentId": "…", "name": "…", "categories": [{"id": 1, "documentId": "…", …}]}

Strapi 4 (and Strapi 5 with ``Strapi-Response-Format: v4``, which also keeps ``documentId``
beside every ``id``)::

    {"id": 4, "attributes": {"name": "…", "categories": {"data": [{"id": 1, "attributes": {…}}]}}}

A relation appears only when populated: a to-one as an entry or ``null``, a to-many as a list
(``{"data": …}`` in v4).  relgate keeps no ``createdAt``/``updatedAt``/``publishedAt``, so
entries carry only the schema's attributes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from relgate.dialects.strapi.docids import DocumentIds
from relgate.dialects.strapi.errors import invalid_key, validation, yup_error
from relgate.dialects.strapi.query import TIMESTAMPS, View
from relgate.model import Ident, Resource, SortKey
from relgate.schema import BIGINT_MAX, BIGINT_MIN, ResourceType, Schema, ValueProblem, coerce_attribute, render_attribute

YUP_TYPES = {"string": "string", "integer": "number", "float": "number", "boolean": "boolean", "date": "date", "datetime": "date"}


@dataclass(frozen=True, slots=True)
class Format:
    v4: bool
    document_ids: bool


@dataclass(frozen=True, slots=True)
class Data:
    """The ``data`` object of a write: coerced attributes and the raw relation values."""

    attributes: Mapping[str, Any]
    relations: tuple[tuple[str, Any], ...]


def read_data(body: Any, rtype: ResourceType, *, creating: bool) -> Data:
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise validation('Missing "data" payload in the request body')
    attributes: dict[str, Any] = {}
    relations: list[tuple[str, Any]] = []
    errors: list[tuple[list[str | int], str]] = []
    for key, value in body["data"].items():
        if key in ("id", "documentId"):
            raise invalid_key(key)
        attr = rtype.attributes.get(key)
        if attr is not None:
            try:
                attributes[key] = coerce_attribute(attr, value)
            except ValueProblem as problem:
                errors.append(([key], _type_message(key, attr.kind, value, problem)))
        elif key in rtype.relationships:
            relations.append((key, value))
        elif key not in TIMESTAMPS:  # Strapi's own timestamps are not writable; sent back by clients, they are dropped
            raise invalid_key(key)
    if creating:
        for attr in rtype.attributes.values():
            if not attr.nullable and attr.name not in attributes and not any(p == [attr.name] for p, _ in errors):
                errors.append(([attr.name], f"{attr.name} must be defined."))
    if errors:
        raise yup_error(errors)
    return Data(attributes, tuple(relations))


def _type_message(name: str, kind: str, value: Any, problem: ValueProblem) -> str:
    if value is None:
        return f"{name} must be defined."
    if kind == "integer" and isinstance(value, float):
        return f"{name} must be an integer"
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):  # beyond the store's 64 bits: yup's max/min
        bound = f"less than or equal to {BIGINT_MAX}" if value > 0 else f"greater than or equal to {BIGINT_MIN}"
        return f"{name} must be {bound}"
    if kind == "string" and isinstance(value, str):  # a string the store cannot hold (a NUL character)
        return str(problem)
    shown = json.dumps(value, ensure_ascii=False)
    return f"{name} must be a `{YUP_TYPES.get(kind, kind)}` type, but the final value was: `{shown}`."


class Renderer:
    """Entries of resources as read by the store (compiled once per front door)."""

    def __init__(self, schema: Schema, ids: DocumentIds) -> None:
        self.schema = schema
        self.ids = ids

    def row_id(self, rtype: ResourceType, id_: str) -> Any:
        return int(id_) if rtype.id_style == "integer" else id_

    def entry(self, res: Resource, view: View, lookup: Mapping[tuple[str, str], Resource], fmt: Format) -> dict[str, Any]:
        rtype = view.type
        head: dict[str, Any] = {"id": self.row_id(rtype, res.id)}
        if fmt.document_ids:
            head["documentId"] = self.ids.encode(rtype.name, res.id)
        body: dict[str, Any] = {}
        for name, attr in rtype.attributes.items():
            if (view.fields is None or name in view.fields) and name in res.attributes:
                body[name] = render_attribute(attr.kind, res.attributes[name])
        for name, sub in view.populate.items():
            rel = rtype.relationships[name]
            linkage = res.relationships.get(name)
            if rel.many:
                members = [self._member(i, lookup) for i in (linkage or ())]  # type: ignore[union-attr]
                if sub.sort:
                    members = _sorted(members, sub.sort)
                value: Any = [self.entry(m, sub, lookup, fmt) for m in members]
            else:
                one = self._member(linkage, lookup) if isinstance(linkage, Ident) else None
                value = self.entry(one, sub, lookup, fmt) if one is not None else None
            body[name] = {"data": value} if fmt.v4 else value
        if fmt.v4:
            head["attributes"] = body
            return head
        head.update(body)
        return head

    def populated(self, items: Sequence[Resource], view: View, lookup: Mapping[tuple[str, str], Resource], limit: int) -> int:
        """How many populated entries rendering ``items`` in ``view`` would write, counted without
        building them (a resource reached along several paths is rendered, and counted, at each);
        the count stops once past ``limit``."""
        memo: dict[tuple[str, str, int], int] = {}

        def count(res: Resource, v: View) -> int:
            key = (res.type, res.id, id(v))
            if key in memo:
                return memo[key]
            total = 0
            for name, sub in v.populate.items():
                linkage = res.relationships.get(name)
                members = linkage if isinstance(linkage, tuple) else ((linkage,) if isinstance(linkage, Ident) else ())
                for ident in members:
                    total += 1 + count(self._member(ident, lookup), sub)
                    if total > limit:
                        break
                if total > limit:
                    break
            memo[key] = total
            return total

        total = 0
        for item in items:
            total += count(item, view)
            if total > limit:
                break
        return total

    @staticmethod
    def _member(ident: Ident, lookup: Mapping[tuple[str, str], Resource]) -> Resource:
        found = lookup.get((ident.type, ident.id or ""))
        return found if found is not None else Resource(ident.type, ident.id or "", {}, {})


def _sorted(members: list[Resource], keys: tuple[SortKey, ...]) -> list[Resource]:
    """``populate[x][sort]``: order related entries by attributes (nulls last, as the store does)."""
    out = list(members)
    for key in reversed(keys):
        name = key.path[0]

        def value(r: Resource, name: str = name) -> Any:
            return int(r.id) if name == "id" and r.id.isdigit() else (r.id if name == "id" else r.attributes.get(name))

        present = [r for r in out if value(r) is not None]
        missing = [r for r in out if value(r) is None]
        present.sort(key=value, reverse=key.descending)
        out = (missing + present) if key.descending else (present + missing)
    return out
