"""The read path's hot statements, compiled to SQL text once per store and sent straight to the driver.

A GET runs the same few statements every time: a row by id (which is also the existence
check), the linkage of each relationship for a set of owners, the rows of included resources
by id.  Building, cache-keying and executing a new ``select()`` through SQLAlchemy for each costs
several times what the database takes; here each is compiled by SQLAlchemy's own compiler (so
quoting, placeholders and PostgreSQL's bind casts are the dialect's) the first time it is needed,
kept, and run on the DBAPI cursor of the batch's connection.  Values come back through the
column types' own result processors (dates, booleans, JSON on SQLite), taken once from the
first cursor description, exactly as SQLAlchemy would convert them.

``IN`` lists are padded (the last value repeated) to a few fixed lengths, so one statement per
length bucket serves every size and PostgreSQL's prepared statements are reused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from relgate.schema import Relationship
from relgate.store.tables import Tables

BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900)
"""Lengths an ``IN`` list is padded to (the largest is the session's chunk size)."""

Row = dict[str, Any]


def bucket(n: int) -> int:
    for size in BUCKETS:
        if n <= size:
            return size
    raise ValueError(f"an IN list of {n} values is longer than the largest bucket ({BUCKETS[-1]}): chunk it")


def padded(values: Sequence[Any]) -> tuple[Any, ...]:
    """``values`` padded to its bucket's length with its last value (IN ignores the repeats)."""
    size = bucket(len(values))
    return (*values, *(values[-1],) * (size - len(values)))


@dataclass(slots=True)
class Compiled:
    """One statement as SQL text for one dialect, with what turns its raw rows into Python values."""

    sql: str
    names: tuple[str, ...]
    types: tuple[sa.types.TypeEngine, ...]
    processors: list[Callable[[Any], Any] | None] | None = field(default=None)

    def convert(self, dialect: sa.Dialect, description: Any, rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
        """Rows with every column through its type's result processor (as SQLAlchemy converts them)."""
        procs = self.processors
        if procs is None:
            codes = [d[1] for d in description] if description else [None] * len(self.types)
            procs = [t.dialect_impl(dialect).result_processor(dialect, code) for t, code in zip(self.types, codes, strict=True)]
            self.processors = procs
        if not any(procs):
            return rows
        pairs = [(i, p) for i, p in enumerate(procs) if p is not None]
        out = []
        for row in rows:
            values = list(row)
            for i, p in pairs:
                values[i] = p(values[i])
            out.append(values)
        return out


class Statements:
    """The hot statements of one store's tables for one dialect, compiled on first use and kept."""

    def __init__(self, tables: Tables, dialect: sa.Dialect) -> None:
        self.tables = tables
        self.dialect = dialect
        self._cache: dict[tuple[Any, ...], Compiled] = {}

    def _compile(self, key: tuple[Any, ...], build: Callable[[], sa.Select]) -> Compiled:
        found = self._cache.get(key)
        if found is None:
            stmt = build()
            compiled = stmt.compile(dialect=self.dialect)
            order = compiled.positiontup or []
            if list(order) != [f"p{i}" for i in range(len(order))]:
                raise AssertionError(f"unexpected bind order {order} in {compiled.string}")
            columns = list(stmt.selected_columns)
            found = self._cache[key] = Compiled(compiled.string, tuple(c.name for c in columns), tuple(c.type for c in columns))
        return found

    # --- statements ----------------------------------------------------------------------------

    def row_by_id(self, type_name: str) -> Compiled:
        """Every column of one row of ``type_name``, by id."""
        table = self.tables.of(type_name)
        return self._compile(("row", type_name), lambda: sa.select(table).where(table.c.id == _param(0, table.c.id)))

    def rows_by_ids(self, type_name: str, n: int) -> Compiled:
        """Every column of the rows of ``type_name`` whose id is among ``n`` values (in no particular order)."""
        table = self.tables.of(type_name)
        return self._compile(("rows", type_name, n), lambda: sa.select(table).where(table.c.id.in_(_params(n, table.c.id))))

    def count(self, type_name: str) -> Compiled:
        """How many rows ``type_name`` has."""
        table = self.tables.of(type_name)
        return self._compile(("count", type_name), lambda: sa.select(sa.func.count()).select_from(table))

    def page(self, type_name: str) -> Compiled:
        """Every column of a page of ``type_name``'s rows in id order; parameters: limit, offset."""
        table = self.tables.of(type_name)

        def build() -> sa.Select:
            stmt = sa.select(table).order_by(table.c.id)
            return stmt.limit(sa.bindparam("p0", type_=sa.BigInteger())).offset(sa.bindparam("p1", type_=sa.BigInteger()))

        return self._compile(("page", type_name), build)

    def existing(self, type_name: str, lock: str = "") -> Compiled:
        """The id of one row by id; ``lock``: ``"key_share"`` (FOR NO KEY UPDATE) or ``"update"`` (FOR UPDATE), PostgreSQL's row locks."""
        table = self.tables.of(type_name)

        def build() -> sa.Select:
            stmt = sa.select(table.c.id).where(table.c.id == _param(0, table.c.id))
            return stmt.with_for_update(key_share=lock == "key_share") if lock else stmt

        return self._compile(("exists", type_name, lock), build)

    def existing_many(self, type_name: str, n: int) -> Compiled:
        table = self.tables.of(type_name)
        return self._compile(("exists_many", type_name, n), lambda: sa.select(table.c.id).where(table.c.id.in_(_params(n, table.c.id))))

    def present(self, near: sa.Column[Any], far: sa.Column[Any], n: int) -> Compiled:
        """Which of ``n`` members are linked to one owner: ``far`` values where ``near`` = owner; parameters: owner, members."""
        key = ("present", near.table.name, near.name, far.name, n)  # type: ignore[attr-defined]
        return self._compile(key, lambda: sa.select(far).where(near == _param(0, near), far.in_(_params(n, far, 1))))

    def linkage(self, rel: Relationship, n: int) -> Compiled:
        """(owner, member) pairs of a to-many (or a far-side to-one) for ``n`` owners, in relationship order."""
        st = rel.storage
        table = self.tables.storage_table(rel)

        def build() -> sa.Select:
            if st.kind == "join":
                near, far = table.c[st.near], table.c[st.far]
            else:
                near, far = table.c[st.column], table.c.id
            order: list[Any] = [near]
            if st.rank:
                order.append(table.c[st.rank].asc().nulls_last())
            order.append(far)
            return sa.select(near, far).where(near.in_(_params(n, near))).order_by(*order)

        return self._compile(("linkage", rel.owner, rel.name, n), build)


def _param(i: int, column: sa.ColumnElement[Any]) -> sa.BindParameter[Any]:
    return sa.bindparam(f"p{i}", type_=column.type)


def _params(n: int, column: sa.ColumnElement[Any], first: int = 0) -> Iterable[sa.BindParameter[Any]]:
    return [_param(i, column) for i in range(first, first + n)]
