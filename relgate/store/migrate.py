"""The store's tables against the configured schema: what differs, what is applied, what waits.

At start-up :func:`plan` compares the tables the schema generates with the database (Alembic's
autogenerate comparison).  Additive differences — a new type, attribute, relationship, the
ordered flag, an index — cannot lose data and are applied then and logged.  Differences that
would lose data or may fail on the rows already stored (a column the configuration no longer
has, a changed kind, a changed ``unique`` or ``nullable``) stop start-up with one line
(:class:`StoreSchemaError`) until ``relgate migrate`` applies them.  Tables the configuration
does not name are left alone (a warning): relgate never reads them.

Statements are issued through Alembic's operations on PostgreSQL.  SQLite cannot alter a
column or a constraint in place, so there ``relgate migrate`` rebuilds the table from the
configured definition (copy, drop, rename, with foreign keys off for the swap).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from fractional_indexing import generate_n_keys_between

log = logging.getLogger("relgate.store")

OWN_TABLES = frozenset({"relgate_order_lists", "relgate_order_keys"})
"""relgate's own tables beside the schema's (the order overlay's), never reported as unknown."""

Apply = Callable[[sa.Connection], None]


class StoreSchemaError(Exception):
    """The store's tables differ from the configuration in a way start-up does not apply.

    ``str()`` is one line naming every difference and the command to run.
    """

    def __init__(self, differences: list[str]) -> None:
        self.differences = differences
        super().__init__(
            "the store's tables differ from the configuration in ways that could lose data: "
            + "; ".join(differences)
            + " — review with `relgate migrate --dry-run`, then apply with `relgate migrate` (same --config/--store)"
        )


@dataclass
class Change:
    text: str
    additive: bool
    apply: Apply


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def additive(self) -> list[Change]:
        return [c for c in self.changes if c.additive]

    @property
    def blocking(self) -> list[Change]:
        return [c for c in self.changes if not c.additive]


def plan(conn: sa.Connection, metadata: sa.MetaData) -> Plan:
    """What it takes to make the database's tables those of ``metadata``."""
    existing = set(sa.inspect(conn).get_table_names())
    new_tables = [t for t in metadata.tables.values() if t.name not in existing]  # create_all orders them
    out = Plan()
    if new_tables:
        names = ", ".join(t.name for t in new_tables)
        out.changes.append(Change(f"new table(s) {names}", True, lambda c: metadata.create_all(c, tables=new_tables)))
    if not existing & set(metadata.tables):
        return out
    _Planner(conn, metadata, {t.name for t in new_tables}, out).run()
    return out


class _Planner:
    """One method per kind of difference Alembic reports (``add_column`` -> :meth:`add_column`)."""

    def __init__(self, conn: sa.Connection, metadata: sa.MetaData, new_tables: set[str], out: Plan) -> None:
        self.conn = conn
        self.metadata = metadata
        self.new_tables = new_tables
        self.out = out
        self.sqlite = conn.dialect.name == "sqlite"
        self.rebuild: dict[str, list[str]] = {}  # SQLite: tables rebuilt for their blocking changes
        self.added_columns: set[tuple[str, str]] = set()

    def run(self) -> None:
        ctx = MigrationContext.configure(self.conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, self.metadata)
        flat = _sqlite_equivalents(diffs) if self.sqlite else [d for x in diffs for d in (x if isinstance(x, list) else [x])]
        for kind, *args in flat:
            if kind == "add_table" or _table_of(kind, args) in self.new_tables:
                continue
            handler = getattr(self, kind, None)
            if handler is None:
                self.out.ignored.append(f"{kind} {args!r} (not applied)")
            else:
                handler(*args)
        for tname, texts in self.rebuild.items():
            for text in texts[:-1]:
                self.out.changes.append(Change(text, False, lambda c: None))
            table = self.metadata.tables[tname]
            self.out.changes.append(Change(texts[-1], False, lambda c, t=table: _rebuild_sqlite_table(c, t)))

    def _blocking(self, table: str, text: str, pg: Callable[[Operations], Any]) -> None:
        """A change start-up refuses: SQLite rebuilds the table for it, PostgreSQL runs ``pg``."""
        if self.sqlite:
            self.rebuild.setdefault(table, []).append(text)
        else:
            self.out.changes.append(Change(text, False, _op(pg)))

    # --- additive -------------------------------------------------------------------------------

    def remove_table(self, table: sa.Table) -> None:
        if table.name in OWN_TABLES:  # relgate's order overlay (relgate/store/overlay.py)
            return
        self.out.ignored.append(f"table {table.name} is not in the configuration (left as it is)")

    def add_column(self, _schema: Any, tname: str, col: sa.Column) -> None:
        self.added_columns.add((tname, col.name))
        self.out.changes.append(_add_column(self.conn, self.metadata.tables[tname], col))

    def add_index(self, idx: sa.Index) -> None:
        self.out.changes.append(_add_index(_configured_index(self.metadata, idx)))

    def remove_index(self, idx: sa.Index) -> None:
        name, table = idx.name, idx.table.name
        self.out.changes.append(Change(f"index {name} is no longer used", True, _op(lambda op: op.drop_index(name, table))))

    def add_fk(self, fk: sa.ForeignKeyConstraint) -> None:
        table, cols = fk.table.name, [c.name for c in fk.columns]
        if self.sqlite and all((table, c) in self.added_columns for c in cols):
            return  # declared inline with the new column
        text = f"{table}.{', '.join(cols)} gains a foreign key"
        if self.sqlite:
            self.rebuild.setdefault(table, []).append(text)
            return
        referred = fk.elements[0].column.table.name
        remote = [e.column.name for e in fk.elements]
        self.out.changes.append(
            Change(text, True, _op(lambda op: op.create_foreign_key(fk.name, table, referred, cols, remote, ondelete=fk.ondelete)))
        )

    # --- refused at start-up, applied by ``relgate migrate`` ----------------------------------------

    def remove_fk(self, fk: sa.ForeignKeyConstraint) -> None:
        table = fk.table.name
        text = f"{table}.{', '.join(c.name for c in fk.columns)} loses its foreign key"
        self._blocking(table, text, lambda op: op.drop_constraint(fk.name, table, type_="foreignkey"))

    def add_constraint(self, uc: Any) -> None:
        if not isinstance(uc, sa.UniqueConstraint):
            self.out.ignored.append(f"constraint {uc!r} (not applied)")
            return
        table, cols = uc.table.name, [c.name for c in uc.columns]
        if all((table, c) in self.added_columns for c in cols):  # a new column holds no values yet
            self.out.changes.append(Change(f"{table}.{', '.join(cols)} is unique", True, _unique_for_new_column(table, cols, self.sqlite)))
            return
        name = f"{table}_{'_'.join(cols)}_key"
        self._blocking(table, f"{table}.{', '.join(cols)} becomes unique", lambda op: op.create_unique_constraint(name, table, cols))

    def remove_constraint(self, uc: Any) -> None:
        table, cols = uc.table.name, [c.name for c in uc.columns]
        text = f"{table}.{', '.join(cols)} is no longer unique"
        self._blocking(table, text, lambda op: op.drop_constraint(uc.name, table, type_="unique"))

    def remove_column(self, _schema: Any, tname: str, col: sa.Column) -> None:
        text = f"{tname}.{col.name} is in the store but not in the configuration (dropping it loses its data)"
        self._blocking(tname, text, lambda op: op.drop_column(tname, col.name))

    def modify_type(self, _schema: Any, tname: str, cname: str, _info: Any, old: Any, new: Any) -> None:
        new_sql = new.compile(dialect=self.conn.dialect)
        text = f"{tname}.{cname} changes type from {old} to {new_sql} (values that do not convert are lost)"
        self._blocking(tname, text, lambda op: op.alter_column(tname, cname, type_=new, postgresql_using=f'"{cname}"::{new_sql}'))

    def modify_nullable(self, _schema: Any, tname: str, cname: str, _info: Any, _old: Any, new: bool) -> None:
        text = f"{tname}.{cname} {'may now be null' if new else 'may no longer be null'}"
        self._blocking(tname, text, lambda op: op.alter_column(tname, cname, nullable=new))

    def modify_default(self, *_args: Any) -> None:
        """relgate declares no server defaults: nothing to do."""

    def modify_comment(self, *_args: Any) -> None:
        """relgate declares no comments: nothing to do."""


def _sqlite_equivalents(diffs: list[Any]) -> list[Any]:
    """Drop the differences SQLite's reflection invents for what an earlier start-up added.

    A column added later declares its foreign key inline, which SQLAlchemy reflects without
    its ``ON DELETE``; a unique attribute added later is a unique index, not a constraint.
    """
    flat = [d for diff in diffs for d in (diff if isinstance(diff, list) else [diff])]

    def fk_key(fk: Any) -> tuple[Any, ...]:
        return (fk.table.name, tuple(c.name for c in fk.columns), fk.elements[0].column.table.name)

    def cols_key(item: Any) -> tuple[Any, ...]:
        return (item.table.name, tuple(sorted(c.name for c in item.columns)))

    removed_fks = {fk_key(d[1]) for d in flat if d[0] == "remove_fk"}
    added_fks = {fk_key(d[1]) for d in flat if d[0] == "add_fk"}
    unique_indexes = {cols_key(d[1]) for d in flat if d[0] == "remove_index" and d[1].unique}
    new_uniques = {cols_key(d[1]) for d in flat if d[0] == "add_constraint" and isinstance(d[1], sa.UniqueConstraint)}
    out = []
    for d in flat:
        if d[0] in ("remove_fk", "add_fk") and fk_key(d[1]) in removed_fks & added_fks:
            continue
        unique = (d[0] == "remove_index" and d[1].unique) or (d[0] == "add_constraint" and isinstance(d[1], sa.UniqueConstraint))
        if unique and cols_key(d[1]) in unique_indexes & new_uniques:
            continue
        out.append(d)
    return out


def _table_of(kind: str, args: list[Any]) -> str | None:
    first = args[0]
    if kind in ("add_column", "remove_column", "modify_type", "modify_nullable", "modify_default", "modify_comment"):
        return args[1]
    table = getattr(first, "table", None)
    return getattr(table, "name", None) if table is not None else getattr(first, "name", None)


def _op(fn: Callable[[Operations], Any]) -> Apply:
    return lambda conn: fn(Operations(MigrationContext.configure(conn)))


def _add_column(conn: sa.Connection, table: sa.Table, col: sa.Column) -> Change:
    """A new attribute or relationship column: nullable columns are additive."""
    text = f"new column {table.name}.{col.name}"
    if not col.nullable:
        rows = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        if rows:
            return Change(f"{text} may not be null but '{table.name}' has {rows} row(s) (declare it nullable)", False, _unappliable(text))
    if conn.dialect.name == "sqlite":
        return Change(text, True, lambda c: _sqlite_add_column(c, table, col))

    def add(c: sa.Connection) -> None:
        copy = sa.Column(col.name, col.type, nullable=col.nullable)
        Operations(MigrationContext.configure(c)).add_column(table.name, copy)

    return Change(text, True, add)


def _unappliable(text: str) -> Apply:
    def fail(_conn: sa.Connection) -> None:
        raise StoreSchemaError([text])

    return fail


def _sqlite_add_column(conn: sa.Connection, table: sa.Table, col: sa.Column) -> None:
    """``ALTER TABLE … ADD COLUMN`` with the foreign key inline (SQLite cannot add one later)."""
    spec = sa.schema.CreateColumn(col).compile(dialect=conn.dialect)
    prep = conn.dialect.identifier_preparer
    refs = ""
    for fk in col.foreign_keys:
        refs += f" REFERENCES {prep.quote(fk.column.table.name)} ({prep.quote(fk.column.name)})"
        if fk.ondelete:
            refs += f" ON DELETE {fk.ondelete}"
    conn.exec_driver_sql(f"ALTER TABLE {prep.quote(table.name)} ADD COLUMN {spec}{refs}")


def _unique_for_new_column(tname: str, cols: list[str], sqlite: bool) -> Apply:
    def add(conn: sa.Connection) -> None:
        if sqlite:
            prep = conn.dialect.identifier_preparer
            name = prep.quote(f"uq_{tname}_{'_'.join(cols)}")
            conn.exec_driver_sql(f"CREATE UNIQUE INDEX {name} ON {prep.quote(tname)} ({', '.join(prep.quote(c) for c in cols)})")
        else:
            Operations(MigrationContext.configure(conn)).create_unique_constraint(f"{tname}_{'_'.join(cols)}_key", tname, cols)

    return add


def _configured_index(metadata: sa.MetaData, idx: sa.Index) -> sa.Index:
    """The schema's own index (the comparison hands out a copy bound to a stripped table)."""
    table = metadata.tables[idx.table.name]
    return next((i for i in table.indexes if i.name == idx.name), idx)


def _add_index(idx: sa.Index) -> Change:
    def add(conn: sa.Connection) -> None:
        if idx.unique:
            _repair_duplicate_ranks(conn, idx)
        idx.create(conn)

    return Change(f"new {'unique ' if idx.unique else ''}index {idx.name}", True, add)


def _repair_duplicate_ranks(conn: sa.Connection, idx: sa.Index) -> None:
    """Before ranks become unique per owner: re-key the lists where two members share a rank.

    Stores written before the constraint may hold such pairs (concurrent adds on PostgreSQL);
    each affected list gets fresh keys in its current order (rank, then member id).
    """
    table = idx.table
    owner, rank = list(idx.columns)
    far = table.c.id if "id" in table.c else next(c for c in table.primary_key.columns if c.name != owner.name)
    dup = sa.select(owner).where(rank.is_not(None)).group_by(owner, rank).having(sa.func.count() > 1).distinct()
    for (owner_id,) in conn.execute(dup).all():
        members = conn.execute(sa.select(far).where(owner == owner_id, rank.is_not(None)).order_by(rank, far)).scalars().all()
        conn.execute(sa.update(table).where(owner == owner_id).values({rank.name: None}).where(rank.is_not(None)))
        for member, key in zip(members, generate_n_keys_between(None, None, len(members)), strict=True):
            conn.execute(sa.update(table).where(owner == owner_id, far == member).values({rank.name: key}))
        log.warning("re-keyed %d ranks of %s %s=%s that shared keys", len(members), table.name, owner.name, owner_id)


def _rebuild_sqlite_table(conn: sa.Connection, table: sa.Table) -> None:
    """Make ``table`` exactly the configured definition, keeping the values of the columns both share."""
    prep = conn.dialect.identifier_preparer
    current = {c["name"]: c for c in sa.inspect(conn).get_columns(table.name)}
    tmp = prep.quote(f"_relgate_tmp_{table.name}")
    ddl = str(sa.schema.CreateTable(table).compile(dialect=conn.dialect))
    conn.exec_driver_sql(ddl.replace(f"CREATE TABLE {prep.quote(table.name)}", f"CREATE TABLE {tmp}", 1))
    shared = [c for c in table.c if c.name in current]
    names = ", ".join(prep.quote(c.name) for c in shared)
    values = ", ".join(
        prep.quote(c.name)
        if current[c.name]["type"]._type_affinity is c.type._type_affinity
        else f"CAST({prep.quote(c.name)} AS {c.type.compile(dialect=conn.dialect)})"
        for c in shared
    )
    conn.exec_driver_sql(f"INSERT INTO {tmp} ({names}) SELECT {values} FROM {prep.quote(table.name)}")
    conn.exec_driver_sql(f"DROP TABLE {prep.quote(table.name)}")
    conn.exec_driver_sql(f"ALTER TABLE {tmp} RENAME TO {prep.quote(table.name)}")
    for idx in table.indexes:
        idx.create(conn)
