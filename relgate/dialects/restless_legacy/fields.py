"""What a Flask-Restless 0.17 model "has": the field names of each type, compiled once.

0.17 serialises and accepts every *column* of a model: the primary key, the attribute
columns, and the foreign-key column of each to-one relationship (``owner_id``), besides the
relationships themselves.  relgate's to-one relationships whose foreign key lives on the
owner's table (storage ``fk_here``) expose that column under its real name, so
``{"owner_id": 1}`` in a body and ``{"name": "owner_id", ...}`` in a search work as in 0.17.

The catalog is shared with the 1.0 front door's ``filter[objects]``
(:mod:`relgate.dialects.restless_filters`); here it uses the ``restless-legacy`` names.
"""

from __future__ import annotations

from relgate.dialects.restless_filters import Catalog as _Catalog
from relgate.dialects.restless_filters import FieldKind, Fields
from relgate.schema import Schema

__all__ = ["DIALECT", "Catalog", "FieldKind", "Fields"]

DIALECT = "restless-legacy"


class Catalog(_Catalog):
    """Every type's :class:`Fields`, by canonical and by ``restless-legacy`` collection name."""

    def __init__(self, schema: Schema) -> None:
        super().__init__(schema, DIALECT)
