"""Flask-Restless filter objects -> canonical :class:`~relgate.model.Filter`, for both generations.

Flask-Restless 0.17 (``q={"filters": [...]}``, dialect ``restless-legacy``) and Flask-Restless
1.0 / flask-restless-ng (``filter[objects]=[...]``, dialect ``restless``) share one filter
language (0.17 ``search.py`` and NG 3.3.0 ``search.py``: ``Filter.from_dictionary``,
``create_operation``, ``OPERATORS``):

- ``{"name": f, "op": op, "val": v}`` -> ``Cmp``; ``{"name": f, "op": op, "field": g}`` ->
  ``FieldCmp``; ``{"or": [...]}`` / ``{"and": [...]}`` nest; a list of filters is AND-ed.
- ``has`` (to-one) / ``any`` (to-many) -> ``Related(rel, where)``: with ``name`` = ``rel`` and an
  object ``val`` that object is a filter on the related type (relgate accepts the whole filter
  grammar there; both originals take a single ``{name, op, val}``).  0.17 also takes
  ``name`` = ``rel__field`` with a plain ``val`` (the related ``field`` equals ``val``); NG does
  not (``No such field "rel__field"``): :attr:`FilterParser.relation_fields`.

A filter may name every *column* of a model, as both originals look names up on the SQLAlchemy
model: the primary key, the attribute columns, and the foreign-key column of a to-one whose key
lives on the owner's table (``owner_id``), besides the relationships themselves (:class:`Fields`).

Values are checked against the field's type here (a wrong type is a 400; the originals answer
200 with no results) but passed on in their JSON form: the store coerces filter values itself.
Date and date-time values must be ISO 8601 (both originals run dateutil's free-form parser); the
strings ``CURRENT_DATE``, ``CURRENT_TIMESTAMP`` and ``LOCALTIMESTAMP`` are replaced by the
gateway clock's value when the request is parsed.

The parser raises whatever its dialect's ``fail(detail, at, code)`` returns, so each front door
words and places the error its own way; ``at`` is the path of the offending member inside the
filter list, ``code`` one of :data:`FAILURES`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from relgate.model import And, Cmp, FieldCmp, Filter, Or, Path, Related
from relgate.schema import Attribute, Relationship, ResourceType, Schema, ValueProblem, coerce_attribute, parse_id

# --- the fields a filter can name ------------------------------------------------------------

FieldKind = Literal["id", "attribute", "relationship", "fk"]


@dataclass(frozen=True, slots=True)
class Fields:
    """The fields of one type as Flask-Restless sees them."""

    rtype: ResourceType
    name: str
    """The collection name (the type's name in the dialect)."""
    attributes: Mapping[str, Attribute]
    relationships: Mapping[str, Relationship]
    fk_columns: Mapping[str, Relationship]
    """Foreign-key column name -> the to-one relationship it stores."""

    def kind(self, name: str) -> FieldKind | None:
        if name == "id":
            return "id"
        if name in self.attributes:
            return "attribute"
        if name in self.relationships:
            return "relationship"
        if name in self.fk_columns:
            return "fk"
        return None

    @property
    def column_names(self) -> tuple[str, ...]:
        return ("id", *self.attributes, *self.fk_columns)


class Catalog:
    """Every type's :class:`Fields`, by canonical and by collection name (``dialect``'s names).

    relgate's to-one relationships whose foreign key lives on the owner's table (storage
    ``fk_here``) expose that column under its real name, as the originals' models do.
    """

    def __init__(self, schema: Schema, dialect: str) -> None:
        self.schema = schema
        self.dialect = dialect
        self.by_type: dict[str, Fields] = {}
        for rtype in schema.types.values():
            fks: dict[str, Relationship] = {}
            for rel in rtype.relationships.values():
                st = rel.storage
                if not rel.many and st.kind == "fk_here" and st.column not in rtype.attributes and st.column not in rtype.relationships:
                    fks[st.column] = rel
            self.by_type[rtype.name] = Fields(rtype, rtype.name_in(dialect), dict(rtype.attributes), dict(rtype.relationships), fks)
        self.by_collection: dict[str, Fields] = {f.name: f for f in self.by_type.values()}

    def of(self, type_name: str) -> Fields:
        return self.by_type[type_name]

    def target(self, rel: Relationship) -> Fields:
        return self.by_type[rel.target]


# --- operators -------------------------------------------------------------------------------

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

NG_OPERATORS: Mapping[str, str] = {**OPERATORS, "not_like": "not_like", "<>": "ne"}
"""flask-restless-ng 3.3.0's ``OPERATORS`` that relgate runs: 0.17's plus ``not_like`` and
``<>`` (SQL's not-equal, which NG passes through as ``f.op('<>')``)."""

NG_UNSUPPORTED: Mapping[str, str] = {
    "<<": "a PostgreSQL network-address operator",
    "<<=": "a PostgreSQL network-address operator",
    ">>": "a PostgreSQL network-address operator",
    ">>=": "a PostgreSQL network-address operator",
    "&&": "a PostgreSQL array/range/network overlap operator",
    "@>": "a PostgreSQL containment operator",
    "<@": "a PostgreSQL containment operator",
    "!@>": "a PostgreSQL containment operator",
    "!<@": "a PostgreSQL containment operator",
    "to_tsquery": "a PostgreSQL full-text search operator",
    "plainto_tsquery": "a PostgreSQL full-text search operator",
}
"""NG operators that only mean something on PostgreSQL column types relgate's schema has not:
answered 400 naming them (NG passes them to the database)."""

UNARY = frozenset({"is_null", "is_not_null"})
FIELD_OPS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "like", "not_like", "ilike"})
NOT_FILTERS = frozenset({"desc", "asc"})
"""In 0.17's ``OPERATORS`` (commented out in NG's) but they build an ORDER BY term, not a condition."""

FILTER_KEYS = frozenset({"name", "op", "val", "field"})
DATE_KEYWORDS = frozenset({"CURRENT_DATE", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP"})

FAILURES = ("invalid-filter", "unknown-field", "unknown-operator", "unsupported-operator", "invalid-value")
"""What a ``fail`` callback is told went wrong: the shape of a filter object, a name that is no
field (or relation) of the type, an operator name, an operator relgate refuses, a value."""

Fail = Callable[[str, Path, str], Exception]
"""``fail(detail, at, code)``: the exception to raise for a bad filter (the dialect's error)."""
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the parser ------------------------------------------------------------------------------


class FilterParser:
    """Filter objects -> canonical filters; compiled once per front door.

    ``operators`` maps the wire operator names this front door takes to canonical ones (plus
    ``has``/``any``); ``unsupported`` names operators refused with a reason; ``relation_fields``
    allows 0.17's ``rel__field`` names with ``has``/``any``.
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        fail: Fail,
        operators: Mapping[str, str] = OPERATORS,
        unsupported: Mapping[str, str] | None = None,
        relation_fields: bool = True,
        clock: Clock = utc_now,
    ) -> None:
        self.catalog = catalog
        self.fail = fail
        self.operators = operators
        self.unsupported = unsupported or {}
        self.relation_fields = relation_fields
        self.clock = clock

    def column_kind(self, fields: Fields, name: str) -> str:
        """The value kind of a column: an attribute's kind; ids and foreign keys by their id style."""
        if name in fields.attributes:
            return fields.attributes[name].kind
        rtype = fields.rtype if name == "id" else self.catalog.schema[fields.fk_columns[name].target]
        return "integer" if rtype.id_style == "integer" else "string"

    def filters(self, fields: Fields, items: Any, at: Path) -> Filter | None:
        """A list of filter objects, AND-ed (``None`` for an empty list)."""
        if items is None:
            return None
        if not isinstance(items, list):
            raise self.fail("filters must be a list of filter objects", at, "invalid-filter")
        parsed = [self.filter(fields, item, (*at, i)) for i, item in enumerate(items)]
        if not parsed:
            return None
        return parsed[0] if len(parsed) == 1 else And(tuple(parsed))

    def filter(self, fields: Fields, item: Any, at: Path) -> Filter:
        fail = self.fail
        if not isinstance(item, dict):
            raise fail("a filter must be an object", at, "invalid-filter")
        if "or" in item or "and" in item:
            if len(item) != 1:
                raise fail('a boolean filter has exactly one key, "or" or "and"', at, "invalid-filter")
            key = next(iter(item))
            subs = item[key]
            if not isinstance(subs, list):
                raise fail(f'"{key}" must be a list of filters', (*at, key), "invalid-filter")
            parts = tuple(self.filter(fields, s, (*at, key, i)) for i, s in enumerate(subs))
            return Or(parts) if key == "or" else And(parts)
        for key in item:
            if key not in FILTER_KEYS:
                raise fail(f"unknown filter key {key!r} (allowed: and, field, name, op, or, val)", (*at, key), "invalid-filter")
        name, op_name = item.get("name"), item.get("op")
        if not isinstance(name, str) or not name:
            raise fail('a filter needs a field name in "name"', (*at, "name"), "invalid-filter")
        if not isinstance(op_name, str):
            raise fail('a filter needs an operator in "op"', (*at, "op"), "invalid-filter")
        if op_name in NOT_FILTERS:
            raise fail(f"{op_name!r} is a sort direction, not a filter operator", (*at, "op"), "unknown-operator")
        if op_name in self.unsupported:
            raise fail(f"operator {op_name!r} is {self.unsupported[op_name]}, not supported here", (*at, "op"), "unsupported-operator")
        op = self.operators.get(op_name)
        if op is None:
            raise fail(f"unknown operator {op_name!r}", (*at, "op"), "unknown-operator")
        if "val" in item and "field" in item and op not in UNARY:
            raise fail('give either "val" or "field", not both', at, "invalid-filter")
        if op in ("has", "any"):
            return self._related(fields, name, op, item, at)
        kind = fields.kind(name)
        if kind is None and "__" in name and self.relation_fields:
            raise fail(f"{name!r}: a field of a related object can only be searched with 'has' or 'any'", (*at, "name"), "invalid-filter")
        if kind is None:
            raise fail(f"{fields.name} has no field {name!r}", (*at, "name"), "unknown-field")
        if kind == "relationship":
            raise fail(f"{name!r} is a relation; search it with 'has' or 'any'", (*at, "op"), "invalid-filter")
        field = canonical(fields, name)
        if op in UNARY:
            return Cmp(field, op, None, at=at)
        if "field" in item:
            other = item["field"]
            if not isinstance(other, str) or fields.kind(other) not in ("id", "attribute", "fk"):
                raise fail(f"{fields.name} has no field {other!r}", (*at, "field"), "unknown-field")
            if op not in FIELD_OPS:
                raise fail(f"operator {op_name!r} cannot compare two fields", (*at, "op"), "invalid-filter")
            kinds = (self.column_kind(fields, name), self.column_kind(fields, other))
            if kinds[0] != kinds[1]:  # PostgreSQL compares no integer with a text, no date with a number
                raise fail(f"{name!r} ({kinds[0]}) cannot be compared with {other!r} ({kinds[1]})", (*at, "field"), "invalid-value")
            if op in ("like", "not_like", "ilike") and kinds[0] != "string":
                raise fail(f"'{op}' needs text fields; {name!r} is not one", (*at, "op"), "invalid-value")
            return FieldCmp(field, op, canonical(fields, other), at=at)
        value = item.get("val")
        if value is None:
            raise fail(
                f'operator {op_name!r} needs a value in "val"; to compare with null use is_null / is_not_null',
                (*at, "val"),
                "invalid-value",
            )
        return Cmp(field, op, self.value(fields, name, op, value, (*at, "val")), at=at)

    def _related(self, fields: Fields, name: str, op: str, item: Mapping[str, Any], at: Path) -> Filter:
        fail = self.fail
        if "field" in item:
            raise fail(f'\'{op}\' takes a value in "val", not "field"', (*at, "field"), "invalid-filter")
        sub: str | None = None
        rel_name = name
        if fields.kind(name) is None and "__" in name:
            if not self.relation_fields:
                raise fail(
                    f'{fields.name} has no field {name!r} (name the relation and give a filter object in "val")',
                    (*at, "name"),
                    "unknown-field",
                )
            parts = name.split("__")
            if len(parts) != 2:
                raise fail(f"{name!r}: only one level of relation__field is allowed", (*at, "name"), "invalid-filter")
            rel_name, sub = parts
        rel = fields.relationships.get(rel_name)
        if rel is None:
            raise fail(f"{fields.name} has no relation {rel_name!r}", (*at, "name"), "unknown-field")
        if op == "has" and rel.many:
            raise fail(f"{rel_name!r} is a to-many relation: use 'any', not 'has'", (*at, "op"), "invalid-filter")
        if op == "any" and not rel.many:
            raise fail(f"{rel_name!r} is a to-one relation: use 'has', not 'any'", (*at, "op"), "invalid-filter")
        target = self.catalog.target(rel)
        value = item.get("val")
        if value is None:
            raise fail(f"'{op}' needs a value in \"val\"", (*at, "val"), "invalid-value")
        if sub is None:
            if not isinstance(value, dict):
                hint = f" (or name it {rel_name}__<field>)" if self.relation_fields else ""
                raise fail(f"'{op}' on {rel_name!r} needs a filter object in \"val\"{hint}", (*at, "val"), "invalid-value")
            return Related(rel.name, self.filter(target, value, (*at, "val")), at=at)
        if target.kind(sub) not in ("id", "attribute", "fk"):
            raise fail(f"{target.name} has no field {sub!r}", (*at, "name"), "unknown-field")
        if isinstance(value, (dict, list)):
            raise fail(f'{name!r} is compared for equality: "val" must be a single value', (*at, "val"), "invalid-value")
        return Related(rel.name, Cmp(canonical(target, sub), "eq", self.value(target, sub, "eq", value, (*at, "val")), at=at), at=at)

    # --- values ------------------------------------------------------------------------------

    def value(self, fields: Fields, name: str, op: str, value: Any, at: Path) -> Any:
        """Check ``value`` for ``op`` on ``fields.name``; return its JSON form for the store."""
        kind = fields.kind(name)
        attr = fields.attributes.get(name)
        if op in ("like", "not_like", "ilike"):
            if attr is None or attr.kind != "string":
                raise self.fail(f"'{op}' needs a text field; {name!r} is not one", at, "invalid-value")
            if not isinstance(value, str):
                raise self.fail(f"'{op}' needs a string pattern for {name!r}", at, "invalid-value")
            return value
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                raise self.fail(f"'{op}' needs a list of values for {name!r}", at, "invalid-value")
            return tuple(self._one(fields, name, kind, attr, v, (*at, i)) for i, v in enumerate(value))
        return self._one(fields, name, kind, attr, value, at)

    def _one(self, fields: Fields, name: str, kind: str | None, attr: Attribute | None, value: Any, at: Path) -> Any:
        if kind in ("id", "fk"):
            style = fields.rtype.id_style if kind == "id" else self.catalog.target(fields.fk_columns[name]).rtype.id_style
            if isinstance(value, bool) or not isinstance(value, (int, str)) or parse_id(style, str(value)) is None:
                raise self.fail(f"{name!r} needs {'an' if style == 'integer' else 'a'} {style} id, not {show(value)}", at, "invalid-value")
            return parse_id(style, str(value))
        assert attr is not None
        if attr.kind == "json":
            raise self.fail(f"{name!r} holds JSON and can only be searched with is_null / is_not_null", at, "invalid-value")
        if value is None:
            raise self.fail(f"a list for {name!r} cannot contain null", at, "invalid-value")
        if attr.kind in ("date", "datetime") and value in DATE_KEYWORDS:
            return self._now(attr, value)
        try:
            coerced = coerce_attribute(attr, value)
        except ValueProblem as exc:
            raise self.fail(f"wrong value type: {exc}, not {show(value)}", at, "invalid-value") from None
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


def canonical(fields: Fields, name: str) -> str:
    """The store's name for a column: a foreign-key column is its relationship's name."""
    rel = fields.fk_columns.get(name)
    return rel.name if rel is not None else name


def show(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."


# --- the other direction: canonical filters -> filter objects (for Flask-Restless backends) ----

OPERATORS_OUT: Mapping[str, str] = {
    "eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge", "in": "in", "not_in": "not_in",
    "like": "like", "ilike": "ilike", "is_null": "is_null", "is_not_null": "is_not_null",
}  # fmt: skip
"""Canonical comparisons both generations' filter objects can say (NG adds ``not_like``)."""

_LIKE = {"contains": ("%", "%", "like"), "icontains": ("%", "%", "ilike"), "startswith": ("", "%", "like"),
         "istartswith": ("", "%", "ilike"), "endswith": ("%", "", "like"), "iendswith": ("%", "", "ilike")}  # fmt: skip


class FilterWriter:
    """Writes canonical filters as Flask-Restless filter objects for one backend.

    ``fail(what, at)`` returns the exception for a filter the backend cannot express (the
    caller's 400 naming it).  Both originals take one ``{name, op, val}`` inside ``has`` /
    ``any``, so a relation filter with a combined condition inside is refused, not weakened.
    """

    def __init__(self, catalog: Catalog, fail: Callable[[str, Path | None], Exception], *, not_like: bool) -> None:
        self.catalog = catalog
        self.fail = fail
        self.ops = {**OPERATORS_OUT, **({"not_like": "not_like"} if not_like else {})}

    def objects(self, fields: Fields, where: Filter | None) -> list[dict[str, Any]]:
        """The filter list (AND-ed) for ``where`` on the type of ``fields``."""
        if where is None:
            return []
        items = where.items if isinstance(where, And) else (where,)
        return [self.one(fields, item) for item in items]

    def one(self, fields: Fields, item: Filter) -> dict[str, Any]:
        if isinstance(item, (And, Or)):
            key = "and" if isinstance(item, And) else "or"
            return {key: [self.one(fields, i) for i in item.items]}
        if isinstance(item, Related):
            rel = fields.relationships[item.relationship]
            target = self.catalog.target(rel)
            if item.where is None:
                inner: dict[str, Any] = {"name": "id", "op": "is_not_null"}
            elif isinstance(item.where, (Cmp, FieldCmp)):
                inner = self.one(target, item.where)
            else:
                raise self.fail(f"filter on '{item.relationship}' with a combined condition inside it", item.at or None)
            return {"name": rel.name, "op": "any" if rel.many else "has", "val": inner}
        if isinstance(item, FieldCmp):
            if item.op not in FIELD_OPS:
                raise self.fail(f"compare two fields with '{item.op}'", item.at or None)
            return {"name": self._column(fields, item.field), "op": item.op, "field": self._column(fields, item.other)}
        if isinstance(item, Cmp):
            return self._cmp(fields, item)
        raise self.fail("negate a filter ('not')", None)

    def _cmp(self, fields: Fields, item: Cmp) -> dict[str, Any]:
        name = self._column(fields, item.field)
        if item.op == "between":
            low, high = item.value
            return {"and": [{"name": name, "op": "ge", "val": _json(low)}, {"name": name, "op": "le", "val": _json(high)}]}
        if item.op in _LIKE:
            head, tail, op = _LIKE[item.op]
            text = str(item.value)
            if "%" in text or "_" in text:
                raise self.fail(f"search for text containing '%' or '_' with '{item.op}' (LIKE has no escape there)", item.at or None)
            return {"name": name, "op": op, "val": f"{head}{text}{tail}"}
        op = self.ops.get(item.op)
        if op is None:
            raise self.fail(f"filter with the operator '{item.op}'", item.at or None)
        if op in UNARY:
            return {"name": name, "op": op}
        if op in ("in", "not_in"):
            return {"name": name, "op": op, "val": [_json(v) for v in item.value]}
        return {"name": name, "op": op, "val": _json(item.value)}

    def _column(self, fields: Fields, name: str) -> str:
        """A to-one is compared through its foreign-key column, as the originals' models name it."""
        if name in fields.relationships:
            for column, rel in fields.fk_columns.items():
                if rel.name == name:
                    return column
            raise self.fail(f"compare the relationship '{name}' directly", None)
        return name


def _json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
