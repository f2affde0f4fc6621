"""Canonical filters -> Strapi ``filters`` trees (the other direction of :mod:`.query`).

``Cmp(name, "eq", "x")`` -> ``{"name": {"$eq": "x"}}``; ``And``/``Or`` -> ``$and``/``$or`` arrays,
``Not`` -> ``$not``; ``Related(rel, where)`` -> ``{rel: <where on the related type>}`` (Strapi
joins: "some related entry matches"), ``Related(rel)`` -> ``{rel: {"id": {"$notNull": true}}}`` (and ``$null`` for its negation: the row
id of the join, which Strapi 5 keeps beside the documentId).
Values are written as the strings a query string carries (booleans ``true``/``false``, dates in
ISO 8601).  The id field is ``documentId`` toward a Strapi 5 backend and ``id`` toward Strapi 4.

Strapi has no LIKE with wildcards: a ``like``/``ilike`` pattern is written as ``$eq``/``$eqi``,
``$contains(i)``, ``$startsWith(i)`` or ``$endsWith(i)`` when its wildcards say one of those, and
refused otherwise; comparing two fields is refused.  An empty ``in`` matches nothing, so it is
written as "id is null" (never true), not dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from relgate.model import And, Cmp, FieldCmp, Filter, Not, Or, Path, Related
from relgate.schema import Schema

OPERATORS_OUT: dict[str, str] = {
    "eq": "$eq", "ne": "$ne", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte", "in": "$in", "not_in": "$notIn",
    "contains": "$contains", "not_contains": "$notContains", "icontains": "$containsi", "not_icontains": "$notContainsi",
    "startswith": "$startsWith", "istartswith": "$startsWithi", "endswith": "$endsWith", "iendswith": "$endsWithi",
    "between": "$between",
}  # fmt: skip
FILTER_OPS = frozenset(OPERATORS_OUT) | {"is_null", "is_not_null", "like", "ilike", "not_like"}
"""Canonical comparisons a Strapi filter can say (``like`` family only for some patterns)."""


class FilterTree:
    """Writes filters for one backend; ``fail(what, at)`` is the exception for what it cannot say."""

    def __init__(self, schema: Schema, id_key: str, fail: Callable[[str, Path | None], Exception]) -> None:
        self.schema = schema
        self.id_key = id_key
        self.fail = fail

    def tree(self, type_name: str, where: Filter) -> dict[str, Any]:
        if isinstance(where, And):
            if not where.items:
                return self._everything()
            return {"$and": [self.tree(type_name, i) for i in where.items]}
        if isinstance(where, Or):
            if not where.items:
                return self._nothing()
            return {"$or": [self.tree(type_name, i) for i in where.items]}
        if isinstance(where, Not):
            inner = where.item
            if isinstance(inner, Related) and inner.where is None:
                return {inner.relationship: {"id": {"$null": "true"}}}  # the join finds no related row
            return {"$not": self.tree(type_name, inner)}
        if isinstance(where, Related):
            target = self.schema[type_name].relationships[where.relationship].target
            if where.where is None:
                return {where.relationship: {"id": {"$notNull": "true"}}}
            return {where.relationship: self.tree(target, where.where)}
        if isinstance(where, FieldCmp):
            raise self.fail("compare two fields of a resource", where.at or None)
        rel = self.schema[type_name].relationships.get(where.field)
        if rel is not None and not rel.many:  # a to-one compared by its id (a foreign key, as 0.17's owner_id)
            if where.op in ("is_null", "is_not_null") or (where.op == "eq" and where.value is None):
                empty = where.op != "is_not_null"
                return {rel.name: {"id": {"$null" if empty else "$notNull": "true"}}}
            return {rel.name: self._cmp(Cmp("id", where.op, where.value, at=where.at))}
        return self._cmp(where)

    def _everything(self) -> dict[str, Any]:
        return {self.id_key: {"$notNull": "true"}}

    def _nothing(self) -> dict[str, Any]:
        return {self.id_key: {"$null": "true"}}

    def _cmp(self, item: Cmp) -> dict[str, Any]:
        name = self.id_key if item.field == "id" else item.field
        op = item.op
        if op in ("is_null", "is_not_null"):
            return {name: {"$null" if op == "is_null" else "$notNull": "true"}}
        if op == "eq" and item.value is None:
            return {name: {"$null": "true"}}
        if op in ("like", "ilike", "not_like"):
            op, value = self._like(item)
            return {name: {op: value}}
        wire = OPERATORS_OUT.get(op)
        if wire is None:
            raise self.fail(f"filter with the operator '{op}'", item.at or None)
        if op in ("in", "not_in", "between"):
            values = [_text(v) for v in item.value]
            if not values:
                return self._nothing() if op == "in" else self._everything()
            return {name: {wire: values}}
        return {name: {wire: _text(item.value)}}

    def _like(self, item: Cmp) -> tuple[str, str]:
        pattern = str(item.value)
        head, tail = pattern.startswith("%"), pattern.endswith("%") and len(pattern) > 1
        core = pattern[1 if head else 0 : len(pattern) - 1 if tail else len(pattern)]
        if "%" in core or "_" in core or "\\" in core:
            raise self.fail(f"filter with the LIKE pattern {pattern!r} (only %x%, x%, %x and x)", item.at or None)
        i = "i" if item.op == "ilike" else ""
        if item.op == "not_like":
            if head and tail:
                return "$notContains", core
            if not head and not tail:
                return "$ne", core
            raise self.fail(f"filter with NOT LIKE {pattern!r}", item.at or None)
        if head and tail:
            return f"$contains{i}", core
        if tail:
            return f"$startsWith{i}", core
        if head:
            return f"$endsWith{i}", core
        return f"$eq{i}", core


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)
