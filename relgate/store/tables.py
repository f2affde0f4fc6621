"""SQLAlchemy tables generated from the schema.

One table per resource type (``id`` plus a typed column per attribute), a foreign-key column
for every to-one (``<rel>_id``), and a join table for every to-many that is not the far side
of a to-one.  Ordered relationships get a rank column (fractional index keys, compared
byte-wise: ``COLLATE "C"`` on PostgreSQL, SQLite's default BINARY collation elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from relgate.schema import Relationship, ResourceType, Schema

_KINDS: dict[str, sa.types.TypeEngine] = {
    "string": sa.Text(),
    "integer": sa.BigInteger(),
    "float": sa.Float(),
    "boolean": sa.Boolean(),
    "date": sa.Date(),
    "datetime": sa.DateTime(),
    "json": sa.JSON(),
}

RANK_TYPE = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def id_type(rtype: ResourceType) -> sa.types.TypeEngine:
    if rtype.id_style == "integer":
        return sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    return sa.String(36) if rtype.id_style == "uuid" else sa.String(255)


def rank_index(table: str, owner: str, rank: str) -> sa.Index:
    """Ranks are unique per owner: two members at one rank would make a position ambiguous.

    (NULL ranks, of members linked before the relationship was ordered, are distinct.)  The
    index also serves the rank look-ups of positional inserts.
    """
    return sa.Index(f"ux_{table}_{owner}_{rank}", owner, rank, unique=True)


@dataclass(frozen=True, slots=True)
class Tables:
    metadata: sa.MetaData
    by_type: dict[str, sa.Table]
    joins: dict[str, sa.Table]

    def of(self, type_name: str) -> sa.Table:
        return self.by_type[type_name]

    def storage_table(self, rel: Relationship) -> sa.Table:
        if rel.storage.kind == "join":
            return self.joins[rel.storage.table]
        return self.by_type[rel.storage.table]


def _one_to_one(schema: Schema, rel: Relationship) -> bool:
    return not rel.many and rel.inverse is not None and not schema[rel.target].relationships[rel.inverse].many


def build_tables(schema: Schema) -> Tables:
    md = sa.MetaData()
    columns: dict[str, list[sa.Column]] = {}
    extra: dict[str, list[sa.SchemaItem]] = {}
    for t in schema.types.values():
        cols = [sa.Column("id", id_type(t), primary_key=True, autoincrement=t.id_style == "integer")]
        for a in t.attributes.values():
            cols.append(sa.Column(a.name, _KINDS[a.kind], nullable=a.nullable, unique=a.unique))
        columns[t.name] = cols
        extra[t.name] = []
    join_specs: dict[str, dict[str, object]] = {}
    for t in schema.types.values():
        for rel in t.relationships.values():
            st = rel.storage
            target = schema[rel.target]
            if st.kind == "fk_here":
                columns[t.name].append(
                    sa.Column(
                        st.column,
                        id_type(target),
                        sa.ForeignKey(f"{target.name}.id", ondelete="SET NULL"),
                        nullable=True,
                        index=True,
                        unique=_one_to_one(schema, rel),
                    )
                )
            elif st.kind == "fk_there" and st.rank:
                columns[target.name].append(sa.Column(st.rank, RANK_TYPE, nullable=True))
                extra[target.name].append(rank_index(target.name, st.column, st.rank))
            elif st.kind == "join":
                spec = join_specs.setdefault(st.table, {"ranks": {}})
                source, dest = (t, target) if st.near == "source_id" else (target, t)
                spec["source"], spec["target"] = source, dest
                if st.rank:
                    spec["ranks"][st.rank] = st.near  # type: ignore[index]
    by_type = {name: sa.Table(name, md, *columns[name], *extra[name]) for name in columns}
    joins: dict[str, sa.Table] = {}
    for name, spec in join_specs.items():
        source: ResourceType = spec["source"]  # type: ignore[assignment]
        dest: ResourceType = spec["target"]  # type: ignore[assignment]
        cols: list[sa.SchemaItem] = [
            sa.Column("source_id", id_type(source), sa.ForeignKey(f"{source.name}.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("target_id", id_type(dest), sa.ForeignKey(f"{dest.name}.id", ondelete="CASCADE"), primary_key=True),
            sa.Index(f"ix_{name}_target", "target_id"),
        ]
        for rank, near in sorted(spec["ranks"].items()):  # type: ignore[attr-defined]
            cols.append(sa.Column(rank, RANK_TYPE, nullable=True))
            cols.append(rank_index(name, near, rank))
        joins[name] = sa.Table(name, md, *cols)
    return Tables(md, by_type, joins)
