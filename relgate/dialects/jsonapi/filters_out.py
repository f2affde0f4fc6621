"""Canonical filters -> the ``filter[...]`` parameters a JSON:API backend reads.

JSON:API reserves ``filter`` without defining it; relgate's own front door reads
``filter[path]=v`` (equality) and ``filter[path][op]=v`` (:mod:`relgate.dialects.jsonapi.query`),
with relationship paths dotted — the form most JSON:API servers take (djangorestframework-jsonapi's
``filter[name]``, JSONAPI::Resources' ``filter[field]``).  This writes that form, and refuses
(with the backend's name) what it cannot say: ``or``, ``not``, two comparisons of one field,
comparisons between fields, values with commas in a list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from relgate.capabilities import missing
from relgate.model import And, Cmp, Filter, ProblemError, Related

OPERATORS_OUT: dict[str, str] = {
    "eq": "", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge", "in": "in", "not_in": "not_in",
    "like": "like", "ilike": "ilike", "contains": "contains", "icontains": "icontains",
    "startswith": "startswith", "istartswith": "istartswith", "endswith": "endswith", "iendswith": "iendswith",
    "is_null": "is_null", "is_not_null": "is_null",
}  # fmt: skip
"""Canonical comparison -> the operator key of relgate's JSON:API filter syntax ("" = plain equality)."""


def wire_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def filter_pairs(where: Filter | None, backend: str) -> list[tuple[str, str]]:
    """The ``filter[...]`` query pairs for ``where`` (raises a 400 naming what cannot be said)."""
    if where is None:
        return []
    out: list[tuple[str, str]] = []
    for item in where.items if isinstance(where, And) else (where,):
        out.extend(_one(item, (), backend))
    keys = [k for k, _ in out]
    if len(set(keys)) != len(keys):
        raise ProblemError(missing(backend, "filter one field with two conditions of the same operator"))
    return out


def _one(item: Filter, chain: tuple[str, ...], backend: str) -> list[tuple[str, str]]:
    if isinstance(item, Related):
        if item.where is None:
            raise ProblemError(missing(backend, f"filter on whether '{item.relationship}' has any member", at=item.at or None))
        inner = item.where.items if isinstance(item.where, And) else (item.where,)
        if len(inner) != 1 and any(not isinstance(i, Cmp) for i in inner):
            raise ProblemError(missing(backend, f"combine conditions inside '{item.relationship}'"))
        return [p for i in inner for p in _one(i, (*chain, item.relationship), backend)]
    if isinstance(item, And):
        return [p for i in item.items for p in _one(i, chain, backend)]
    if isinstance(item, Cmp):
        if item.op == "between":
            low, high = item.value
            return _one(Cmp(item.field, "ge", low), chain, backend) + _one(Cmp(item.field, "le", high), chain, backend)
        op = OPERATORS_OUT.get(item.op)
        if op is None:
            raise ProblemError(missing(backend, f"filter with the operator '{item.op}'", at=item.at or None))
        path = ".".join((*chain, item.field))
        key = f"filter[{path}]" + (f"[{op}]" if op else "")
        if item.op in ("is_null", "is_not_null"):
            return [(key, "true" if item.op == "is_null" else "false")]
        if item.op in ("in", "not_in"):
            values = [wire_value(v) for v in item.value]
            if any("," in v for v in values):
                raise ProblemError(missing(backend, "filter by a list of values containing commas", at=item.at or None))
            return [(key, ",".join(values))]
        return [(key, wire_value(item.value))]
    what = {"Or": "combine filters with 'or'", "Not": "negate a filter", "FieldCmp": "compare two fields of a resource"}
    raise ProblemError(missing(backend, what.get(type(item).__name__, "express this filter"), at=getattr(item, "at", None) or None))
