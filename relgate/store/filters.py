"""Compiling canonical filters and sort keys to SQL expressions over the generated tables.

Filters through relationships (:class:`~relgate.model.Related`) become ``EXISTS`` subqueries,
so a search never multiplies rows and runs as one statement however deep it nests.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from relgate.model import And, Cmp, FieldCmp, Filter, Not, Or, Problem, ProblemError, Related, SortKey
from relgate.schema import Attribute, Relationship, ResourceType, Schema, ValueProblem, coerce_attribute, is_text_field
from relgate.store.tables import Tables

MAX_LIST_VALUES = 10_000
"""Most values of one ``in``/``not_in`` list (PostgreSQL's driver binds at most 32,767 per statement)."""


class FilterCompiler:
    def __init__(self, schema: Schema, tables: Tables) -> None:
        self.schema = schema
        self.tables = tables

    def compile(self, f: Filter, rtype: ResourceType, table: sa.FromClause) -> sa.ColumnElement[bool]:
        if isinstance(f, And):
            return sa.and_(sa.true(), *(self.compile(i, rtype, table) for i in f.items))
        if isinstance(f, Or):
            return sa.or_(sa.false(), *(self.compile(i, rtype, table) for i in f.items))
        if isinstance(f, Not):
            return sa.not_(self.compile(f.item, rtype, table))
        if isinstance(f, Related):
            return self.related(f, rtype, table)
        if isinstance(f, FieldCmp):
            left = self.column(rtype, table, f.field, f.at)
            right = self.column(rtype, table, f.other, f.at)
            return _compare(left, f.op, right, f.at)
        if isinstance(f, Cmp):
            col = self.column(rtype, table, f.field, f.at)
            return _compare(col, f.op, self.value(rtype, f), f.at)
        raise TypeError(f"not a filter: {f!r}")

    def column(self, rtype: ResourceType, table: sa.FromClause, name: str, at: Any) -> sa.ColumnElement[Any]:
        if name == "id" or name in rtype.attributes:
            return table.c[name]
        rel = rtype.relationships.get(name)
        if rel is not None and rel.storage.kind == "fk_here":
            return table.c[rel.storage.column]
        raise ProblemError(Problem(400, "unknown-field", "Unknown field", f"'{rtype.name}' has no attribute '{name}'", at=at or None))

    def value(self, rtype: ResourceType, f: Cmp) -> Any:
        """Coerce a filter value to the column's type (ids to ints for integer ids, dates…)."""
        if f.op in ("is_null", "is_not_null"):
            return None
        if f.op in (
            "like",
            "not_like",
            "ilike",
            "contains",
            "not_contains",
            "icontains",
            "not_icontains",
            "startswith",
            "istartswith",
            "endswith",
            "iendswith",
        ):
            if not isinstance(f.value, str):
                raise _bad(f, f"'{f.op}' on '{f.field}' needs a string value")
            if not is_text_field(self.schema, rtype, f.field):
                raise _bad(f, f"'{f.op}' compares text, and '{f.field}' of '{rtype.name}' is not text")
            if "\x00" in f.value:
                raise _bad(f, f"'{f.op}' on '{f.field}' takes no NUL character (\\u0000)")
            return f.value
        if f.field == "id" or f.field in rtype.relationships:
            style = rtype.id_style if f.field == "id" else self.schema[rtype.relationships[f.field].target].id_style
            conv = _id_converter(style)
        else:
            attr = rtype.attributes[f.field]
            conv = lambda v: _coerce(attr, v, f)  # noqa: E731
        if f.op in ("in", "not_in"):
            if not isinstance(f.value, (list, tuple)):
                raise _bad(f, f"'{f.op}' on '{f.field}' needs a list of values")
            if len(f.value) > MAX_LIST_VALUES:
                raise _bad(f, f"'{f.op}' on '{f.field}' takes at most {MAX_LIST_VALUES} values, not {len(f.value)}")
            return [conv(v) for v in f.value]
        if f.op == "between":
            if not isinstance(f.value, (list, tuple)) or len(f.value) != 2:
                raise _bad(f, f"'between' on '{f.field}' needs two values")
            return (conv(f.value[0]), conv(f.value[1]))
        return conv(f.value)

    def related(self, f: Related, rtype: ResourceType, table: sa.FromClause) -> sa.ColumnElement[bool]:
        rel = rtype.relationships.get(f.relationship)
        if rel is None:
            raise ProblemError(
                Problem(
                    400, "unknown-field", "Unknown relationship", f"'{rtype.name}' has no relationship '{f.relationship}'", at=f.at or None
                )
            )
        target = self.schema[rel.target]
        t = self.tables.of(target.name).alias()
        cond = self.link_condition(rel, table, t)
        if f.where is not None:
            cond = sa.and_(cond, self.compile(f.where, target, t))
        st = rel.storage
        if st.kind == "join":
            j = self.tables.joins[st.table].alias()
            sub = sa.select(sa.literal(1)).select_from(j.join(t, t.c.id == j.c[st.far])).where(j.c[st.near] == table.c.id, cond)
        else:
            sub = sa.select(sa.literal(1)).select_from(t).where(cond)
        return sa.exists(sub)

    def link_condition(self, rel: Relationship, owner: sa.FromClause, target: sa.FromClause) -> sa.ColumnElement[bool]:
        st = rel.storage
        if st.kind == "fk_here":
            return target.c.id == owner.c[st.column]
        if st.kind == "fk_there":
            return target.c[st.column] == owner.c.id
        return sa.true()

    def order_by(self, keys: tuple[SortKey, ...], rtype: ResourceType, table: sa.FromClause) -> list[sa.ColumnElement[Any]]:
        out: list[sa.ColumnElement[Any]] = []
        for key in keys:
            expr = self.sort_expr(key.path, rtype, table)
            out.append(expr.desc().nulls_first() if key.descending else expr.asc().nulls_last())
        return out

    def sort_expr(self, path: tuple[str, ...], rtype: ResourceType, table: sa.FromClause) -> sa.ColumnElement[Any]:
        name = path[0]
        if len(path) == 1:
            return self.column(rtype, table, name, None)
        rel = rtype.relationships.get(name)
        if rel is None or rel.many:
            raise ProblemError(Problem(400, "unknown-field", "Unsupported sort", f"cannot sort '{rtype.name}' through '{name}'"))
        target = self.schema[rel.target]
        t = self.tables.of(target.name).alias()
        inner = self.sort_expr(path[1:], target, t)
        return sa.select(inner).select_from(t).where(self.link_condition(rel, table, t)).limit(1).scalar_subquery()


def _id_converter(style: str) -> Any:
    def conv(v: Any) -> Any:
        if v is None:
            return None
        if style == "integer":
            if isinstance(v, bool):
                raise ValueError
            return int(v)
        return str(v)

    return conv


def _coerce(attr: Attribute, v: Any, f: Cmp) -> Any:
    try:
        if isinstance(v, dt.date):  # already a Python value (codecs coerce dates and date-times)
            if attr.kind == "date" and not isinstance(v, dt.datetime):
                return v
            if attr.kind == "datetime":
                return coerce_attribute(attr, v.isoformat())  # to naive UTC, as stored
        return coerce_attribute(attr, v)
    except ValueProblem as exc:
        raise _bad(f, str(exc)) from None


def _bad(f: Cmp, detail: str) -> ProblemError:
    return ProblemError(Problem(400, "invalid", "Invalid filter", detail, at=f.at or None))


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compare(col: sa.ColumnElement[Any], op: str, value: Any, at: Any) -> sa.ColumnElement[bool]:
    """SQL comparison semantics: negations (``ne``, ``not_in``, ``not_*``) never match NULL."""
    if op == "eq":
        return col.is_(None) if value is None else col == value
    if op == "ne":
        return col.is_not(None) if value is None else col != value
    if op == "lt":
        return col < value
    if op == "le":
        return col <= value
    if op == "gt":
        return col > value
    if op == "ge":
        return col >= value
    if op == "in":
        return col.in_(value)
    if op == "not_in":
        return col.not_in(value)
    if op == "between":
        return col.between(value[0], value[1])
    if op == "is_null":
        return col.is_(None)
    if op == "is_not_null":
        return col.is_not(None)
    if op == "like":
        return col.like(value)
    if op == "not_like":
        return col.not_like(value)
    if op == "ilike":
        return sa.func.lower(col).like(sa.func.lower(value))
    if op in ("contains", "not_contains", "icontains", "not_icontains", "startswith", "istartswith", "endswith", "iendswith"):
        insensitive = op.startswith("i") or op.startswith("not_i")
        pattern = _like_escape(value.lower() if insensitive else value)
        if "contains" in op:
            pattern = f"%{pattern}%"
        elif "startswith" in op:
            pattern = f"{pattern}%"
        else:
            pattern = f"%{pattern}"
        subject = sa.func.lower(col) if insensitive else col
        expr = subject.like(pattern, escape="\\")
        return sa.not_(expr) if op.startswith("not_") else expr
    raise ProblemError(Problem(400, "invalid", "Unknown operator", f"unknown comparison '{op}'", at=at or None))
