"""The resource schema of SQLAlchemy models: :func:`relgate.schema.from_sqlalchemy`.

Given a declarative base (or a registry, or a plain :class:`~sqlalchemy.MetaData`), it returns
the ``types`` table of a relgate configuration as plain values: each mapped table is a type
named after its table, with its id style (from the primary key), its columns as attributes
(kind, ``unique``, ``nullable``) and its ORM relationships with their cardinality and inverse.
Foreign-key columns that back a relationship are not attributes (relgate stores the
relationship itself).  For a bare ``MetaData`` (no ORM), a foreign key becomes a to-one
relationship and an association table (two foreign keys and nothing else) a pair of to-manys.

What cannot be expressed (composite primary keys, names relgate reserves, relationships to
tables without a type) is left out and described in ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

RESERVED = frozenset({"id", "type", "lid"})


@dataclass
class Derived:
    """The derived ``types`` table, and what could not be carried over."""

    types: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def kind_of(column_type: sa.types.TypeEngine[Any]) -> str:
    """The relgate attribute kind of a column type (``string`` for anything textual or unknown)."""
    checks: list[tuple[type, str]] = [
        (sa.Boolean, "boolean"),
        (sa.Integer, "integer"),
        (sa.Float, "float"),
        (sa.Numeric, "float"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.JSON, "json"),
        (sa.ARRAY, "json"),
    ]
    for sa_type, kind in checks:
        if isinstance(column_type, sa_type):
            return kind
    return "string"


def id_style(table: sa.Table) -> str | None:
    """``integer``, ``uuid`` or ``string`` from a single-column primary key; None for other keys."""
    pk = list(table.primary_key.columns)
    if len(pk) != 1:
        return None
    col_type = pk[0].type
    if isinstance(col_type, sa.Integer):
        return "integer"
    if isinstance(col_type, getattr(sa, "Uuid", ())):  # (SQLAlchemy 2; 1.3 has no Uuid type)
        return "uuid"
    return "string"


def _unique_columns(table: sa.Table) -> set[str]:
    out = {c.name for c in table.columns if c.unique}
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and len(constraint.columns) == 1:
            out.update(c.name for c in constraint.columns)
    for index in table.indexes:
        if index.unique and len(index.columns) == 1:
            out.update(c.name for c in index.columns)
    return out


def _attribute(column: sa.Column[Any], unique: set[str]) -> str | dict[str, Any]:
    kind = kind_of(column.type)
    extra: dict[str, Any] = {}
    if column.name in unique:
        extra["unique"] = True
    if not column.nullable and column.default is None and column.server_default is None:
        extra["nullable"] = False  # (relgate applies no defaults: a column with one stays nullable)
    return {"type": kind, **extra} if extra else kind


def derive(source: Any) -> Derived:
    """See the module docstring; ``source`` is a declarative base, a registry or a MetaData."""
    if isinstance(source, sa.MetaData):
        return _from_metadata(source)
    mappers = _mappers(source)
    if mappers is None:
        raise TypeError(f"expected a declarative base, a registry or a MetaData, not {type(source).__name__}")
    sa.orm.configure_mappers()
    return _from_mappers(mappers)


def _mappers(source: Any) -> list[sa.orm.Mapper[Any]] | None:
    """The mappers of a declarative base or registry; None for anything else.

    SQLAlchemy 1.3 (Flask-Restless 0.17's) has no registry: its declarative base keeps its
    classes in ``_decl_class_registry`` (next to a module marker that is not a class).
    """
    registry = getattr(source, "registry", source)
    registry_type = getattr(sa.orm, "registry", None)
    if registry_type is not None and isinstance(registry, registry_type):
        return list(registry.mappers)
    classes = getattr(source, "_decl_class_registry", None)
    if isinstance(classes, Mapping):  # (a WeakValueDictionary)
        return [c.__mapper__ for c in list(classes.values()) if isinstance(c, type) and hasattr(c, "__mapper__")]
    return None


def _from_mappers(mappers: list[sa.orm.Mapper[Any]]) -> Derived:
    out = Derived({})
    by_mapper: dict[sa.orm.Mapper[Any], str] = {}
    for mapper in sorted(mappers, key=lambda m: str(m.local_table.name)):
        table = mapper.local_table
        if not isinstance(table, sa.Table):
            out.notes.append(f"{mapper.class_.__name__}: not mapped to one table; left out")
            continue
        style = id_style(table)
        if style is None:
            out.notes.append(f"{table.name}: its primary key is not one column; left out")
            continue
        by_mapper[mapper] = table.name
    for mapper, name in by_mapper.items():
        table = mapper.local_table
        assert isinstance(table, sa.Table)
        # the foreign-key columns of relationships (a foreign key without one stays a plain value)
        backing = {local for rel in mapper.relationships if rel.secondary is None for local, _ in rel.local_remote_pairs or ()}
        unique = _unique_columns(table)
        attributes: dict[str, Any] = {}
        for prop in mapper.column_attrs:
            if len(prop.columns) != 1 or not isinstance(prop.columns[0], sa.Column):
                continue
            column = prop.columns[0]
            if column.primary_key or column in backing or column.table is not table:
                continue
            if prop.key in RESERVED:
                out.notes.append(f"{name}.{prop.key}: '{prop.key}' is reserved in relgate; left out")
                continue
            attributes[prop.key] = _attribute(column, unique)
        relationships: dict[str, Any] = {}
        for rel in mapper.relationships:
            target = by_mapper.get(rel.mapper)
            if target is None:
                out.notes.append(f"{name}.{rel.key}: its target {rel.mapper.class_.__name__} has no type; left out")
                continue
            if rel.key in RESERVED or rel.key in attributes:
                out.notes.append(f"{name}.{rel.key}: the name is taken; left out")
                continue
            spec: dict[str, Any] = {"type": target}
            if rel.uselist:
                spec["many"] = True
            reverse = _reverse(rel)
            if reverse is not None and by_mapper.get(reverse.parent) == target:
                spec["inverse"] = reverse.key
            relationships[rel.key] = spec
        out.types[name] = _type(id_style(table) or "integer", attributes, relationships)
    return out


def _reverse(rel: sa.orm.RelationshipProperty[Any]) -> sa.orm.RelationshipProperty[Any] | None:
    reverse = getattr(rel, "_reverse_property", None) or set()  # set by back_populates and backref
    if reverse:
        return next(iter(reverse))
    if rel.back_populates:
        return rel.mapper.relationships.get(rel.back_populates)
    return None


def _from_metadata(metadata: sa.MetaData) -> Derived:
    out = Derived({})
    association: dict[str, tuple[sa.ForeignKey, sa.ForeignKey]] = {}
    for table in metadata.sorted_tables:
        fks = [fk for c in table.columns for fk in c.foreign_keys]
        if len(fks) == 2 and len(table.columns) == 2:
            association[table.name] = (fks[0], fks[1])
            continue
        if id_style(table) is None:
            out.notes.append(f"{table.name}: its primary key is not one column; left out")
            continue
        out.types[table.name] = {}
    for table in metadata.sorted_tables:
        if table.name not in out.types:
            continue
        unique = _unique_columns(table)
        attributes: dict[str, Any] = {}
        relationships: dict[str, Any] = {}
        for column in table.columns:
            if column.primary_key:
                continue
            fk = next(iter(column.foreign_keys), None)
            if fk is not None and fk.column.table.name in out.types:
                rel = column.name[:-3] if column.name.endswith("_id") else column.name
                relationships[rel] = {"type": fk.column.table.name}
                continue
            if column.name in RESERVED:
                out.notes.append(f"{table.name}.{column.name}: '{column.name}' is reserved in relgate; left out")
                continue
            attributes[column.name] = _attribute(column, unique)
        out.types[table.name] = {"attrs": attributes, "rels": relationships}
    for name, (a, b) in association.items():
        left, right = a.column.table.name, b.column.table.name
        if left not in out.types or right not in out.types:
            out.notes.append(f"{name}: links a table without a type; left out")
            continue
        left_rel, right_rel = _plural(right), _plural(left)
        if left == right or left_rel in out.types[left]["rels"] or right_rel in out.types[right]["rels"]:
            out.notes.append(f"{name}: its relationship names are taken; left out")
            continue
        out.types[left]["rels"][left_rel] = {"type": right, "many": True, "inverse": right_rel}
        out.types[right]["rels"][right_rel] = {"type": left, "many": True, "inverse": left_rel}
    tables = {t.name: t for t in metadata.sorted_tables}
    out.types = {n: _type(id_style(tables[n]) or "integer", d["attrs"], d["rels"]) for n, d in sorted(out.types.items())}
    return out


def _plural(name: str) -> str:
    return name  # table names are usually plural already (people, articles)


def _type(style: str, attributes: dict[str, Any], relationships: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if style != "integer":
        out["id"] = style
    out["attributes"] = attributes
    if relationships:
        out["relationships"] = relationships
    return out
