"""What a Flask-Restless 0.17 model "has": the field names of each type, compiled once.

0.17 serialises and accepts every *column* of a model: the primary key, the attribute
columns, and the foreign-key column of each to-one relationship (``owner_id``), besides the
relationships themselves.  relgate's to-one relationships whose foreign key lives on the
owner's table (storage ``fk_here``) expose that column under its real name, so
``{"owner_id": 1}`` in a body and ``{"name": "owner_id", ...}`` in a search work as in 0.17.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from relgate.schema import Attribute, Relationship, ResourceType, Schema

DIALECT = "restless-legacy"

FieldKind = Literal["id", "attribute", "relationship", "fk"]


@dataclass(frozen=True, slots=True)
class Fields:
    """The fields of one type as 0.17 sees them."""

    rtype: ResourceType
    name: str
    """The collection name (the type's ``restless-legacy`` name)."""
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
    """Every type's :class:`Fields`, by canonical and by collection name."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.by_type: dict[str, Fields] = {}
        for rtype in schema.types.values():
            fks: dict[str, Relationship] = {}
            for rel in rtype.relationships.values():
                st = rel.storage
                if not rel.many and st.kind == "fk_here" and st.column not in rtype.attributes and st.column not in rtype.relationships:
                    fks[st.column] = rel
            self.by_type[rtype.name] = Fields(rtype, rtype.name_in(DIALECT), dict(rtype.attributes), dict(rtype.relationships), fks)
        self.by_collection: dict[str, Fields] = {f.name: f for f in self.by_type.values()}

    def of(self, type_name: str) -> Fields:
        return self.by_type[type_name]

    def target(self, rel: Relationship) -> Fields:
        return self.by_type[rel.target]
