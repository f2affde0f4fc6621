"""The 0.17 search language (``q``) -> canonical :class:`~relgate.model.Filter` and sort keys.

Source: flask-restless 0.17.0 ``search.py`` (``OPERATORS``, ``Filter.from_dictionary``,
``QueryBuilder``, ``_sub_operator``) and ``views.py`` ``_search``.

The filter objects (``{name, op, val}``, ``{name, op, field}``, ``has``/``any``, nested
``and``/``or``, every operator and alias, the value checks) are parsed by the
:class:`~relgate.dialects.restless_filters.FilterParser` shared with the 1.0 front door's
``filter[objects]``; this module adds what only ``q`` has, with 0.17's error messages:

- ``filters``, AND-ed; 0.17 also takes ``rel__field`` names with ``has``/``any``;
- ``order_by`` ``[{"field", "direction"}]``; ``rel__field`` sorts through a to-one and, as
  0.17's INNER JOIN does, drops rows without a related object.  The primary key breaks ties.
- ``limit`` / ``offset`` (0 means "none", as 0.17's ``if limit:``), ``single``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from relgate.dialects.restless_filters import (
    DATE_KEYWORDS,
    FIELD_OPS,
    FILTER_KEYS,
    NOT_FILTERS,
    OPERATORS,
    UNARY,
    Clock,
    FilterParser,
    utc_now,
)
from relgate.dialects.restless_filters import canonical as _canonical
from relgate.dialects.restless_legacy.errors import bad_query, undecodable
from relgate.dialects.restless_legacy.fields import Catalog, Fields
from relgate.model import And, Filter, Path, Related, SortKey

__all__ = [
    "DATE_KEYWORDS", "FIELD_OPS", "FILTER_KEYS", "NOT_FILTERS", "OPERATORS", "SEARCH_KEYS", "UNARY",
    "Clock", "Search", "SearchParser", "utc_now",
]  # fmt: skip

SEARCH_KEYS = frozenset({"filters", "order_by", "limit", "offset", "single"})


@dataclass(frozen=True, slots=True)
class Search:
    where: Filter | None = None
    sort: tuple[SortKey, ...] = ()
    limit: int | None = None
    offset: int = 0
    single: bool = False


def _fail(detail: str, at: Path, code: str) -> Exception:
    """Filter problems the 0.17 way: ``Unable to construct query: ... (at q.filters[0].op)``."""
    return bad_query(detail, at)


class SearchParser(FilterParser):
    """``q`` -> :class:`Search`; ``filters``/``filter``/``value`` come from :class:`FilterParser`."""

    def __init__(self, catalog: Catalog, *, clock: Clock = utc_now, max_depth: int = 32) -> None:
        super().__init__(catalog, fail=_fail, operators=OPERATORS, relation_fields=True, clock=clock)
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


def _and(first: Filter | None, *more: Filter) -> Filter:
    items = ([first] if first is not None else []) + list(more)
    return items[0] if len(items) == 1 else And(tuple(items))
