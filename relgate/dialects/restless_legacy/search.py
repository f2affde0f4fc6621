"""The 0.17 search language (``q``) -> canonical :class:`~relgate.model.Filter` and sort keys.

Source: flask-restless 0.17.0 ``search.py`` (``OPERATORS``, ``Filter.from_dictionary``,
``QueryBuilder``, ``_sub_operator``) and ``views.py`` ``_search``.

- ``{"name": f, "op": op, "val": v}`` -> ``Cmp``; ``{"name": f, "op": op, "field": g}`` ->
  ``FieldCmp``; ``{"or": [...]}`` / ``{"and": [...]}`` nest; the top-level list is AND-ed.
- ``has`` (to-one) / ``any`` (to-many) -> ``Related(rel, where)``: with ``name`` =
  ``rel__field`` and a plain ``val`` the related ``field`` must equal ``val``; with ``name`` =
  ``rel`` and an object ``val`` that object is a filter on the related type (relgate accepts
  the whole filter grammar there, 0.17 only a single ``{name, op, val}``).
- ``order_by`` ``[{"field", "direction"}]``; ``rel__field`` sorts through a to-one and, as
  0.17's INNER JOIN does, drops rows without a related object.  The primary key breaks ties.
- ``limit`` / ``offset`` (0 means "none", as 0.17's ``if limit:``), ``single``.

Values are checked against the field's type here (a wrong type is a 400; 0.17 would answer 200
with no results) but passed on in their JSON form: the store coerces filter values itself.
Date and date-time values must be ISO 8601 (0.17 runs dateutil's free-form parser); the
strings ``CURRENT_DATE``, ``CURRENT_TIMESTAMP`` and ``LOCALTIMESTAMP`` are replaced by the
gateway clock's value when the request is parsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from relgate.dialects.restless_legacy.errors import bad_query, undecodable
from relgate.dialects.restless_legacy.fields import Catalog, Fields
from relgate.model import And, Cmp, FieldCmp, Filter, Or, Path, Related, SortKey
from relgate.schema import Attribute, ValueProblem, coerce_attribute, parse_id

OPERATORS: Mapping[str, str] = {
    "is_null": "is_null",
    "is_not_null": "is_not_null",
    "==": "eq", "eq": "eq", "equals": "eq", "equal_to": "eq",
    "!=": "ne", "ne": "ne", "neq": "ne", "not_equal_to": "ne", "does_not_equal": "ne",
    ">": "gt", "gt": "gt",
    "<": "lt", "lt": "lt",
    ">=": "ge", "ge": "ge", "gte": "ge", "geq": "ge",
    "<=": "le", "le": "le", "lte": "le", "leq": "le",
    "like": "like",
    "ilike": "ilike",
    "in": "in",
    "not_in": "not_in",
    "has": "has",
    "any": "any",
}  # fmt: skip
"""Every operator name of 0.17's ``OPERATORS`` -> the canonical comparison (or has/any)."""

UNARY = frozenset({"is_null", "is_not_null"})
FIELD_OPS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "like", "ilike"})
NOT_FILTERS = frozenset({"desc", "asc"})
"""In 0.17's ``OPERATORS`` but they build an ORDER BY term, not a condition (SQL error there)."""

SEARCH_KEYS = frozenset({"filters", "order_by", "limit", "offset", "single"})
FILTER_KEYS = frozenset({"name", "op", "val", "field"})
DATE_KEYWORDS = frozenset({"CURRENT_DATE", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP"})


@dataclass(frozen=True, slots=True)
class Search:
    where: Filter | None = None
    sort: tuple[SortKey, ...] = ()
    limit: int | None = None
    offset: int = 0
    single: bool = False


Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SearchParser:
    def __init__(self, catalog: Catalog, *, clock: Clock = utc_now, max_depth: int = 32) -> None:
        self.catalog = catalog
        self.clock = clock
        self.max_depth = max_depth

    # --- q as a whole ------------------------------------------------------------------------

    def decode(self, raw: str, parameter: str = "q") -> Any:
        from relgate.dialects.wire import json_depth

        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise undecodable(f"{parameter} is not valid JSON ({exc})", parameter=parameter) from None
        if json_depth(value, self.max_depth) > self.max_depth:
            raise undecodable(f"{parameter} nests deeper than {self.max_depth} levels", parameter=parameter)
        return value

    def search(self, fields: Fields, q: Any, *, keys: frozenset[str] = SEARCH_KEYS, purpose: str = "a search") -> Search:
        """Parse a decoded ``q`` object; ``keys`` are the members this use of ``q`` accepts."""
        if not isinstance(q, dict):
            raise bad_query("q must be a JSON object")
        for key in q:
            if key == "disjunction":
                raise bad_query('"disjunction" was removed in Flask-Restless 0.17; use {"or": [...]} in filters', (key,))
            if key == "group_by":
                raise bad_query("group_by is not supported (0.17 counts grouped results wrongly); relgate refuses it", (key,))
            if key not in keys:
                raise bad_query(f"unknown key {key!r} for {purpose} (allowed: {', '.join(sorted(keys))})", (key,))
        where = self.filters(fields, q.get("filters"), ("filters",))
        sort, joined = self.order_by(fields, q.get("order_by"), ("order_by",))
        if joined:
            where = _and(where, *joined)
        limit = self._count(q, "limit") or None
        offset = self._count(q, "offset")
        single = q.get("single", False)
        if single is None:
            single = False
        if not isinstance(single, bool):
            raise bad_query("single must be true or false", ("single",))
        return Search(where, sort, limit, offset, single)

    def _count(self, q: Mapping[str, Any], key: str) -> int:
        value = q.get(key)
        if value is None:
            return 0
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise bad_query(f"{key} must be a non-negative integer", (key,))
        return value

    # --- filters -----------------------------------------------------------------------------

    def filters(self, fields: Fields, items: Any, at: Path) -> Filter | None:
        if items is None:
            return None
        if not isinstance(items, list):
            raise bad_query("filters must be a list of filter objects", at)
        parsed = [self.filter(fields, item, (*at, i)) for i, item in enumerate(items)]
        if not parsed:
            return None
        return parsed[0] if len(parsed) == 1 else And(tuple(parsed))

    def filter(self, fields: Fields, item: Any, at: Path) -> Filter:
        if not isinstance(item, dict):
            raise bad_query("a filter must be an object", at)
        if "or" in item or "and" in item:
            if len(item) != 1:
                raise bad_query('a boolean filter has exactly one key, "or" or "and"', at)
            key = next(iter(item))
            subs = item[key]
            if not isinstance(subs, list):
                raise bad_query(f'"{key}" must be a list of filters', (*at, key))
            parts = tuple(self.filter(fields, s, (*at, key, i)) for i, s in enumerate(subs))
            return Or(parts) if key == "or" else And(parts)
        for key in item:
            if key not in FILTER_KEYS:
                raise bad_query(f"unknown filter key {key!r} (allowed: and, field, name, op, or, val)", (*at, key))
        name, op_name = item.get("name"), item.get("op")
        if not isinstance(name, str) or not name:
            raise bad_query('a filter needs a field name in "name"', (*at, "name"))
        if not isinstance(op_name, str):
            raise bad_query('a filter needs an operator in "op"', (*at, "op"))
        if op_name in NOT_FILTERS:
            raise bad_query(f"{op_name!r} is a sort direction, not a filter operator", (*at, "op"))
        op = OPERATORS.get(op_name)
        if op is None:
            raise bad_query(f"unknown operator {op_name!r}", (*at, "op"))
        if "val" in item and "field" in item and op not in UNARY:
            raise bad_query('give either "val" or "field", not both', at)
        if op in ("has", "any"):
            return self._related(fields, name, op, item, at)
        kind = fields.kind(name)
        if kind is None and "__" in name:
            raise bad_query(f"{name!r}: a field of a related object can only be searched with 'has' or 'any'", (*at, "name"))
        if kind is None:
            raise bad_query(f"{fields.name} has no field {name!r}", (*at, "name"))
        if kind == "relationship":
            raise bad_query(f"{name!r} is a relation; search it with 'has' or 'any'", (*at, "op"))
        field = _canonical(fields, name)
        if op in UNARY:
            return Cmp(field, op, None, at=at)
        if "field" in item:
            other = item["field"]
            if not isinstance(other, str) or fields.kind(other) not in ("id", "attribute", "fk"):
                raise bad_query(f"{fields.name} has no field {other!r}", (*at, "field"))
            if op not in FIELD_OPS:
                raise bad_query(f"operator {op_name!r} cannot compare two fields", (*at, "op"))
            return FieldCmp(field, op, _canonical(fields, other), at=at)
        value = item.get("val")
        if value is None:
            raise bad_query(f'operator {op_name!r} needs a value in "val"; to compare with null use is_null / is_not_null', (*at, "val"))
        return Cmp(field, op, self.value(fields, name, op, value, (*at, "val")), at=at)

    def _related(self, fields: Fields, name: str, op: str, item: Mapping[str, Any], at: Path) -> Filter:
        if "field" in item:
            raise bad_query(f'\'{op}\' takes a value in "val", not "field"', (*at, "field"))
        sub: str | None = None
        rel_name = name
        if fields.kind(name) is None and "__" in name:
            parts = name.split("__")
            if len(parts) != 2:
                raise bad_query(f"{name!r}: only one level of relation__field is allowed", (*at, "name"))
            rel_name, sub = parts
        rel = fields.relationships.get(rel_name)
        if rel is None:
            raise bad_query(f"{fields.name} has no relation {rel_name!r}", (*at, "name"))
        if op == "has" and rel.many:
            raise bad_query(f"{rel_name!r} is a to-many relation: use 'any', not 'has'", (*at, "op"))
        if op == "any" and not rel.many:
            raise bad_query(f"{rel_name!r} is a to-one relation: use 'has', not 'any'", (*at, "op"))
        target = self.catalog.target(rel)
        value = item.get("val")
        if value is None:
            raise bad_query(f"'{op}' needs a value in \"val\"", (*at, "val"))
        if sub is None:
            if not isinstance(value, dict):
                raise bad_query(f"'{op}' on {rel_name!r} needs a filter object in \"val\" (or name it {rel_name}__<field>)", (*at, "val"))
            return Related(rel.name, self.filter(target, value, (*at, "val")), at=at)
        if target.kind(sub) not in ("id", "attribute", "fk"):
            raise bad_query(f"{target.name} has no field {sub!r}", (*at, "name"))
        if isinstance(value, (dict, list)):
            raise bad_query(f'{name!r} is compared for equality: "val" must be a single value', (*at, "val"))
        return Related(rel.name, Cmp(_canonical(target, sub), "eq", self.value(target, sub, "eq", value, (*at, "val")), at=at), at=at)

    # --- values ------------------------------------------------------------------------------

    def value(self, fields: Fields, name: str, op: str, value: Any, at: Path) -> Any:
        """Check ``value`` for ``op`` on ``fields.name``; return its JSON form for the store."""
        kind = fields.kind(name)
        attr = fields.attributes.get(name)
        if op in ("like", "ilike"):
            if attr is None or attr.kind != "string":
                raise bad_query(f"'{op}' needs a text field; {name!r} is not one", at)
            if not isinstance(value, str):
                raise bad_query(f"'{op}' needs a string pattern for {name!r}", at)
            return value
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                raise bad_query(f"'{op}' needs a list of values for {name!r}", at)
            return tuple(self._one(fields, name, kind, attr, v, (*at, i)) for i, v in enumerate(value))
        return self._one(fields, name, kind, attr, value, at)

    def _one(self, fields: Fields, name: str, kind: str | None, attr: Attribute | None, value: Any, at: Path) -> Any:
        if kind in ("id", "fk"):
            style = fields.rtype.id_style if kind == "id" else self.catalog.target(fields.fk_columns[name]).rtype.id_style
            if isinstance(value, bool) or not isinstance(value, (int, str)) or parse_id(style, str(value)) is None:
                raise bad_query(f"{name!r} needs {'an' if style == 'integer' else 'a'} {style} id, not {_show(value)}", at)
            return parse_id(style, str(value))
        assert attr is not None
        if attr.kind == "json":
            raise bad_query(f"{name!r} holds JSON and can only be searched with is_null / is_not_null", at)
        if value is None:
            raise bad_query(f"a list for {name!r} cannot contain null", at)
        if attr.kind in ("date", "datetime") and value in DATE_KEYWORDS:
            return self._now(attr, value)
        try:
            coerced = coerce_attribute(attr, value)
        except ValueProblem as exc:
            raise bad_query(f"wrong value type: {exc}, not {_show(value)}", at) from None
        if attr.kind in ("date", "datetime"):
            return coerced.isoformat()
        return value

    def _now(self, attr: Attribute, keyword: str) -> str:
        now = self.clock()
        if keyword == "LOCALTIMESTAMP":
            now = now.astimezone()
        naive = now.replace(tzinfo=None)
        if attr.kind == "date" or keyword == "CURRENT_DATE":
            day = naive.date()
            return day.isoformat() if attr.kind == "date" else dt.datetime.combine(day, dt.time()).isoformat()
        return naive.isoformat()

    # --- order_by ----------------------------------------------------------------------------

    def order_by(self, fields: Fields, items: Any, at: Path) -> tuple[tuple[SortKey, ...], list[Filter]]:
        """Sort keys (the primary key last, as a tiebreak) and the joins they imply."""
        if items is None:
            return (), []
        if not isinstance(items, list):
            raise bad_query("order_by must be a list of {field, direction} objects", at)
        keys: list[SortKey] = []
        joined: list[Filter] = []
        for i, item in enumerate(items):
            here = (*at, i)
            if not isinstance(item, dict):
                raise bad_query("an order_by entry must be an object", here)
            for key in item:
                if key not in ("field", "direction"):
                    raise bad_query(f"unknown order_by key {key!r} (allowed: direction, field)", (*here, key))
            name = item.get("field")
            direction = item.get("direction", "asc")
            if direction not in ("asc", "desc"):
                raise bad_query('direction must be "asc" or "desc"', (*here, "direction"))
            if not isinstance(name, str):
                raise bad_query('an order_by entry needs a field name in "field"', (*here, "field"))
            kind = fields.kind(name)
            if kind in ("id", "attribute", "fk"):
                keys.append(SortKey((_canonical(fields, name),), direction == "desc"))
                continue
            if kind is None and "__" in name and len(name.split("__")) == 2:
                rel_name, sub = name.split("__")
                rel = fields.relationships.get(rel_name)
                if rel is None:
                    raise bad_query(f"{fields.name} has no relation {rel_name!r}", (*here, "field"))
                if rel.many:
                    raise bad_query(f"cannot sort by a field of the to-many relation {rel_name!r}", (*here, "field"))
                target = self.catalog.target(rel)
                if target.kind(sub) not in ("id", "attribute", "fk"):
                    raise bad_query(f"{target.name} has no field {sub!r}", (*here, "field"))
                keys.append(SortKey((rel.name, _canonical(target, sub)), direction == "desc"))
                joined.append(Related(rel.name, None, at=here))
                continue
            raise bad_query(f"{fields.name} has no field {name!r} to sort by", (*here, "field"))
        if keys and keys[-1].path != ("id",):
            keys.append(SortKey(("id",)))
        return tuple(keys), joined


def _canonical(fields: Fields, name: str) -> str:
    """The store's name for a column: a foreign-key column is its relationship's name."""
    rel = fields.fk_columns.get(name)
    return rel.name if rel is not None else name


def _and(first: Filter | None, *more: Filter) -> Filter:
    items = ([first] if first is not None else []) + list(more)
    return items[0] if len(items) == 1 else And(tuple(items))


def _show(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."
