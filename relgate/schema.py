"""The resource schema: types, attributes, relationships, and how each is stored.

Built once at start-up from the configuration (see :mod:`relgate.config`) and read-only after
that; every lookup a request needs (a type by a front door's name, a relationship's storage)
is a dict access here.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

AttributeKind = Literal["string", "integer", "float", "boolean", "date", "datetime", "json"]
ATTRIBUTE_KINDS: tuple[str, ...] = ("string", "integer", "float", "boolean", "date", "datetime", "json")
IdStyle = Literal["integer", "uuid", "string"]
ID_STYLES: tuple[str, ...] = ("integer", "uuid", "string")


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    kind: AttributeKind
    unique: bool = False
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class Storage:
    """Where a relationship's rows live; one of three shapes.

    - ``fk_here``: a foreign-key ``column`` on the owner's own ``table`` (a to-one).
    - ``fk_there``: a foreign-key ``column`` on the target's ``table`` pointing back at the
      owner (a to-many whose inverse is a to-one, or the far side of a one-to-one).
    - ``join``: a join ``table``; ``near`` holds the owner's id and ``far`` the member's.

    ``rank`` names the column that orders the members of an ordered to-many (fractional
    index keys, so an insert at any position writes one row).
    """

    kind: Literal["fk_here", "fk_there", "join"]
    table: str
    column: str = ""
    near: str = ""
    far: str = ""
    rank: str | None = None


@dataclass(frozen=True, slots=True)
class Relationship:
    name: str
    owner: str
    target: str
    many: bool
    inverse: str | None = None
    ordered: bool = False
    policies: Mapping[str, Any] = field(default_factory=dict)
    storage: Storage = field(default_factory=lambda: Storage("fk_here", ""))

    def policy(self, name: str, default: Any = True) -> Any:
        return self.policies.get(name, default)


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A resource type.  ``name`` is the canonical (JSON:API) name and the table name."""

    name: str
    id_style: IdStyle
    attributes: Mapping[str, Attribute]
    relationships: Mapping[str, Relationship]
    names: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def field_kind(self, name: str) -> Literal["id", "attribute", "relationship"] | None:
        if name == "id":
            return "id"
        if name in self.attributes:
            return "attribute"
        if name in self.relationships:
            return "relationship"
        return None

    def name_in(self, dialect: str) -> str:
        """The type's name as ``dialect`` spells it (its canonical name when not configured)."""
        return self.names.get(dialect, self.name)


class Schema:
    """All resource types, with the name maps of every dialect compiled once."""

    def __init__(self, types: Mapping[str, ResourceType]) -> None:
        self.types: Mapping[str, ResourceType] = dict(types)
        self._by_name: dict[str, dict[str, ResourceType]] = {}
        self._accepted: dict[str, dict[str, ResourceType]] = {}

    def __getitem__(self, name: str) -> ResourceType:
        return self.types[name]

    def __contains__(self, name: object) -> bool:
        return name in self.types

    def names_for(self, dialect: str) -> Mapping[str, ResourceType]:
        """Map of the names ``dialect`` emits to their types."""
        table = self._by_name.get(dialect)
        if table is None:
            table = {t.name_in(dialect): t for t in self.types.values()}
            self._by_name[dialect] = table
        return table

    def accepted_for(self, dialect: str) -> Mapping[str, ResourceType]:
        """Map of every name ``dialect`` accepts on input (its names plus configured aliases)."""
        table = self._accepted.get(dialect)
        if table is None:
            table = dict(self.names_for(dialect))
            for t in self.types.values():
                for alias in t.aliases.get(dialect, ()) + t.aliases.get("*", ()):
                    table.setdefault(alias, t)
            self._accepted[dialect] = table
        return table

    def warm(self, dialects: tuple[str, ...]) -> None:
        """Compile the name maps of ``dialects`` now rather than on the first request."""
        for d in dialects:
            self.accepted_for(d)


def from_sqlalchemy(source: Any) -> dict[str, dict[str, Any]]:
    """The ``types`` table of a configuration derived from SQLAlchemy models.

    ``source`` is a declarative base, its registry, or a ``MetaData``: tables, columns and their
    kinds, ``unique``/``nullable``, relationships with their cardinality and inverses.  Feed it to
    :func:`relgate.config.from_dict` (``{"routes": …, "types": from_sqlalchemy(Base)}``) for a
    checked :class:`Schema`; :mod:`relgate.schema_sqlalchemy` also says what it left out.
    """
    from relgate.schema_sqlalchemy import derive

    return derive(source).types


def is_text_field(schema: Schema, rtype: ResourceType, name: str) -> bool:
    """Whether a filterable field (``id``, an attribute, a to-one) is stored as text.

    Text comparisons (LIKE, contains, startswith…) apply only to those: PostgreSQL has no LIKE
    on numbers, dates or JSON (SQLite would quietly compare their text forms).
    """
    if name == "id":
        return rtype.id_style != "integer"
    attr = rtype.attributes.get(name)
    if attr is not None:
        return attr.kind == "string"
    rel = rtype.relationships.get(name)
    return rel is not None and schema[rel.target].id_style != "integer"


# --- values ------------------------------------------------------------------------------------

_INT_ID = re.compile(r"^(0|[1-9][0-9]{0,18})$")
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
"""The range of integer ids and attributes: the store keeps them as 64-bit BIGINT columns."""


def parse_id(style: IdStyle, raw: str) -> str | None:
    """The canonical string form of ``raw`` for an id style, or None if it has the wrong form."""
    if style == "integer":
        return raw if _INT_ID.match(raw) and int(raw) <= BIGINT_MAX else None
    if style == "uuid":
        try:
            return str(uuid.UUID(raw))
        except ValueError:
            return None
    return raw if raw and "\x00" not in raw else None


class ValueProblem(ValueError):
    """An attribute value of the wrong type; the message says what was expected."""


def coerce_attribute(attr: Attribute, value: Any) -> Any:
    """Check a JSON value against an attribute's kind and return the Python value to store."""
    if value is None:
        if not attr.nullable:
            raise ValueProblem(f"'{attr.name}' may not be null")
        return None
    kind = attr.kind
    if kind == "string":
        if isinstance(value, str):
            if "\x00" in value:  # PostgreSQL text cannot hold it; refused on every store alike
                raise ValueProblem(f"'{attr.name}' may not contain the NUL character (\\u0000)")
            return value
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            if BIGINT_MIN <= value <= BIGINT_MAX:
                return value
            raise ValueProblem(f"'{attr.name}' must be an integer from {BIGINT_MIN} to {BIGINT_MAX}")
    elif kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind == "date":
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueProblem(f"'{attr.name}' must be a date as YYYY-MM-DD")
    elif kind == "datetime":
        if isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                # Stored without a zone (SQLite has none): an offset is converted to UTC first.
                if moment.tzinfo is None:
                    return moment
                try:
                    return moment.astimezone(dt.UTC).replace(tzinfo=None)
                except OverflowError:  # 9999-12-31T23:00:00-05:00 is in year 10000 in UTC
                    raise ValueProblem(f"'{attr.name}' is out of range once converted to UTC") from None
        raise ValueProblem(f"'{attr.name}' must be an ISO 8601 date-time")
    elif kind == "json":
        return value
    raise ValueProblem(f"'{attr.name}' must be a{'n' if kind[0] in 'aeiou' else ''} {kind}")


def render_attribute(kind: AttributeKind, value: Any) -> Any:
    """The JSON value of a stored attribute."""
    if value is None:
        return None
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if kind == "datetime" and isinstance(value, dt.datetime):
        return value.isoformat()
    if kind == "boolean":
        return bool(value)
    return value
