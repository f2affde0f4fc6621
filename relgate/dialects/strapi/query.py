"""Strapi query parameters -> canonical :class:`~relgate.model.Query` plus what to render.

Parameters (``core-api`` + ``utils/convert-query-params``), already parsed from ``qs`` syntax:

- ``filters``: ``{field: value | {$op: value}}``, ``$and``/``$or`` (arrays) and ``$not``, nested
  through relations (``filters[categories][name][$eq]=x`` means "some category is named x",
  canonical :class:`~relgate.model.Related`).  A bare value is ``$eq``, an array ``$in``.
- ``sort``: ``name:asc,id:desc``, arrays of those, or objects ``{name: "desc"}``; a dotted
  path sorts through to-one relations.
- ``fields``: scalar attributes (``id``/``documentId`` always come back).
- ``populate``: ``*``, ``a,b``, ``a.b``, arrays, and objects with ``populate``, ``fields``,
  ``sort`` per relation (a populated relation's ``sort`` is applied when rendering).
- ``pagination``: ``page``/``pageSize`` or ``start``/``limit`` (not both), ``withCount``.
- ``_q``: case-insensitive search over the string attributes.  ``status`` and ``locale`` are
  accepted and ignored (relgate has no drafts and no locales).

Values arrive as strings and are converted to the attribute's type here; a value that is not
of the type (``filters[id][$eq]=abc`` on an integer id) is a 400, never a silent mismatch.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from relgate.dialects.strapi.docids import DocumentIds
from relgate.dialects.strapi.errors import invalid_key, pagination_error, validation
from relgate.model import And, Cmp, Filter, Not, Or, Page, Query, Related, SortKey
from relgate.schema import BIGINT_MAX, BIGINT_MIN, ResourceType, Schema, is_text_field, parse_id

OPERATORS: Mapping[str, str] = {
    "$eq": "eq",
    "$ne": "ne",
    "$lt": "lt",
    "$lte": "le",
    "$gt": "gt",
    "$gte": "ge",
    "$in": "in",
    "$notIn": "not_in",
    "$contains": "contains",
    "$notContains": "not_contains",
    "$containsi": "icontains",
    "$notContainsi": "not_icontains",
    "$startsWith": "startswith",
    "$startsWithi": "istartswith",
    "$endsWith": "endswith",
    "$endsWithi": "iendswith",
    "$between": "between",
    "$null": "is_null",
    "$notNull": "is_not_null",
    "$eqi": "ieq",
    "$nei": "ine",
}
"""Strapi operator -> canonical comparison (``ieq``/``ine`` are rewritten, see :meth:`QueryParser._compare`)."""

TEXT_OPS = frozenset({"contains", "not_contains", "icontains", "not_icontains", "startswith", "istartswith", "endswith", "iendswith"})
TRUE = ("true", "t", "1")
FALSE = ("false", "f", "0")
TIMESTAMPS = ("createdAt", "updatedAt", "publishedAt")


@dataclass(frozen=True, slots=True)
class View:
    """How entries of one type are rendered at one place in a response."""

    type: ResourceType
    fields: frozenset[str] | None = None
    """Attributes shown (None: all)."""
    populate: Mapping[str, View] = field(default_factory=dict)
    """Populated relationships and the view of their entries."""
    sort: tuple[SortKey, ...] = ()
    """Order of a populated to-many's entries (``populate[x][sort]``); empty: relationship order."""

    def deepest(self) -> tuple[str, ...]:
        """The longest chain of populated relations (``()`` when nothing is populated)."""
        best: tuple[str, ...] = ()
        for name, sub in self.populate.items():
            chain = (name, *sub.deepest())
            if len(chain) > len(best):
                best = chain
        return best

    def paths(self, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for name, sub in self.populate.items():
            out.append((*prefix, name))
            out.extend(sub.paths((*prefix, name)))
        return out


@dataclass(frozen=True, slots=True)
class Paging:
    """The page asked for, echoed in ``meta.pagination``."""

    by_page: bool
    start: int
    limit: int
    count: bool


class QueryParser:
    """Compiled once per front door: the schema, documentIds and the route's paging limits."""

    def __init__(
        self,
        schema: Schema,
        ids: DocumentIds,
        *,
        default_limit: int,
        max_limit: int | None,
        with_count: bool,
        max_populate_depth: int = 3,
    ) -> None:
        self.schema = schema
        self.ids = ids
        self.max_populate_depth = max_populate_depth
        """``server.max_populate_depth``: deeper ``populate`` is a 400 before anything is read."""
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.with_count = with_count

    # --- entry points ---------------------------------------------------------------------------

    def read(self, params: Mapping[str, Any], rtype: ResourceType, *, listing: bool) -> tuple[Query, View, Paging | None]:
        """The canonical query for a read (``listing``: a list with filters, sort and paging)."""
        view = self.view(params, rtype)
        if not listing:
            return Query(include=tuple(view.paths()), fields=store_fields(view)), view, None
        where = self.filters(params.get("filters"), rtype)
        q = params.get("_q")
        if isinstance(q, str) and q:
            search = Or(tuple(Cmp(a.name, "icontains", q) for a in rtype.attributes.values() if a.kind == "string"))
            where = search if where is None else And((where, search))
        paging = self.paging(params.get("pagination"))
        query = Query(
            where=where,
            sort=self.sort(params.get("sort"), rtype, "sort", through_relations=True),
            page=Page(paging.start, paging.limit),
            include=tuple(view.paths()),
            fields=store_fields(view),
            count=paging.count,
        )
        return query, view, paging

    def view(self, params: Mapping[str, Any], rtype: ResourceType) -> View:
        fields = self.fields(params.get("fields"), rtype, "fields")
        view = View(rtype, fields, self.populate(params.get("populate"), rtype, ""))
        chain = view.deepest()
        limit = self.max_populate_depth
        if len(chain) > limit:
            # Each level multiplies the entries of the response: refused before the store is asked.
            path = ".".join(chain[: limit + 1])
            raise validation(
                f"Invalid populate: {path} nests {len(chain)} relations deep; this API populates at most {limit} levels "
                "(server.max_populate_depth)",
                {"key": chain[limit], "path": f"populate.{path}"},
                code="too-much-work",
            )
        return view

    # --- fields, populate ------------------------------------------------------------------------

    def fields(self, value: Any, rtype: ResourceType, path: str) -> frozenset[str] | None:
        if value is None:
            return None
        names = _names(value, path)
        for name in names:
            if name not in rtype.attributes and name not in ("id", "documentId", *TIMESTAMPS):
                raise invalid_key(name, f"{path}.{name}" if path != "fields" else None)
        return frozenset(n for n in names if n in rtype.attributes)

    def populate(self, value: Any, rtype: ResourceType, path: str) -> dict[str, View]:
        if value is None:
            return {}
        if isinstance(value, str):
            return self._populate_paths([value], rtype, path)
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise invalid_key("populate", path or None, reason="expected relation names")
            return self._populate_paths(value, rtype, path)
        if not isinstance(value, dict):  # pragma: no cover - qs yields only str, list, dict, None
            raise invalid_key("populate", path or None)
        out: dict[str, View] = {}
        for name, options in value.items():
            here = f"{path}.{name}" if path else name
            if name == "*":
                if _truthy(options):
                    for rel in rtype.relationships.values():
                        out.setdefault(rel.name, View(self.schema[rel.target]))
                continue
            rel = rtype.relationships.get(name)
            if rel is None:
                raise invalid_key(name, here)
            target = self.schema[rel.target]
            if options is None or isinstance(options, str):
                if options is None or _truthy(options):
                    out[name] = View(target)
                elif options.lower() not in FALSE:
                    raise invalid_key(name, here, reason="expected true, false or an object")
                continue
            if not isinstance(options, dict):
                raise invalid_key(name, here, reason="expected true, false or an object")
            out[name] = self._populate_options(options, target, here)
        return out

    def _populate_options(self, options: Mapping[str, Any], target: ResourceType, here: str) -> View:
        for key in options:
            if key == "filters":
                raise validation(f"relgate does not support filters inside populate ({here}.filters); filter the related type instead")
            if key not in ("populate", "fields", "sort"):
                raise invalid_key(key, f"{here}.{key}")
        return View(
            target,
            self.fields(options.get("fields"), target, f"{here}.fields"),
            self.populate(options.get("populate"), target, here),
            self.sort(options.get("sort"), target, f"{here}.sort", through_relations=False),
        )

    def _populate_paths(self, values: list[str], rtype: ResourceType, path: str) -> dict[str, View]:
        tree: dict[str, Any] = {}
        for value in values:
            for item in (s.strip() for s in value.split(",")):
                if not item:
                    continue
                if item == "*":
                    for rel in rtype.relationships.values():
                        tree.setdefault(rel.name, {})
                    continue
                node = tree
                for seg in (s.strip() for s in item.split(".")):
                    if seg:
                        node = node.setdefault(seg, {})
        return self._tree_views(tree, rtype, path)

    def _tree_views(self, tree: Mapping[str, Any], rtype: ResourceType, path: str) -> dict[str, View]:
        out: dict[str, View] = {}
        for name, sub in tree.items():
            here = f"{path}.{name}" if path else name
            rel = rtype.relationships.get(name)
            if rel is None:
                raise invalid_key(name, here)
            target = self.schema[rel.target]
            out[name] = View(target, None, self._tree_views(sub, target, here))
        return out

    # --- sort ----------------------------------------------------------------------------------

    def sort(self, value: Any, rtype: ResourceType, param: str, *, through_relations: bool) -> tuple[SortKey, ...]:
        if value is None:
            return ()
        keys: list[SortKey] = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                for part in (p.strip() for p in item.split(",")):
                    if part:
                        name, _, order = part.partition(":")
                        keys.append(self._sort_key(tuple(name.split(".")), order or "asc", rtype, param, through_relations))
            elif isinstance(item, dict):
                keys.extend(self._sort_object(item, (), rtype, param, through_relations))
            else:
                raise invalid_key(param)
        return tuple(keys)

    def _sort_object(
        self, obj: Mapping[str, Any], prefix: tuple[str, ...], rtype: ResourceType, param: str, through: bool
    ) -> list[SortKey]:
        out: list[SortKey] = []
        for name, order in obj.items():
            if isinstance(order, dict):
                out.extend(self._sort_object(order, (*prefix, name), rtype, param, through))
            elif isinstance(order, str):
                out.append(self._sort_key((*prefix, name), order, rtype, param, through))
            else:
                raise invalid_key(name, ".".join((*prefix, name)))
        return out

    def _sort_key(self, path: tuple[str, ...], order: str, rtype: ResourceType, param: str, through: bool) -> SortKey:
        if order.lower() not in ("asc", "desc"):
            raise validation("Invalid order. order can only be one of asc|desc|ASC|DESC")
        current = rtype
        for i, name in enumerate(path):
            last = i == len(path) - 1
            if last:
                if name not in current.attributes and name not in ("id", "documentId"):
                    raise invalid_key(name, ".".join(path))
                break
            rel = current.relationships.get(name)
            if rel is None or not through:
                raise invalid_key(name, ".".join(path))
            if rel.many:
                raise invalid_key(name, ".".join(path), reason="relgate sorts only through to-one relations")
            current = self.schema[rel.target]
        canonical = tuple("id" if (n == "documentId" and i == len(path) - 1) else n for i, n in enumerate(path))
        return SortKey(canonical, order.lower() == "desc")

    # --- pagination ----------------------------------------------------------------------------

    def paging(self, value: Any) -> Paging:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise pagination_error("Invalid pagination parameter. Expected an object")
        count = self.with_count
        if "withCount" in value:
            wc = value["withCount"]
            if isinstance(wc, str) and wc.lower() in TRUE:
                count = True
            elif isinstance(wc, str) and wc.lower() in FALSE:
                count = False
            else:
                raise validation('Invalid withCount parameter. Expected "t","1","true","false","0","f"')
        by_page = "page" in value or "pageSize" in value
        by_offset = "start" in value or "limit" in value
        if by_page and by_offset:
            raise pagination_error("Cannot use both page & offset pagination in the same query")
        if by_offset:
            start = _integer(value.get("start", "0"), "start", minimum=0)
            limit = _integer(value.get("limit", str(self.default_limit)), "limit", minimum=-1)
            if limit == 0:
                limit = 1
            return Paging(False, start, self._cap(limit), count)
        page = _integer(value.get("page", "1"), "page", minimum=1)
        size = _integer(value.get("pageSize", str(self.default_limit)), "pageSize", minimum=1)
        size = self._cap(size)
        return Paging(True, (page - 1) * size, size, count)

    def _cap(self, limit: int) -> int:
        if limit == -1:
            return self.max_limit if self.max_limit is not None else 2**31 - 1
        return min(limit, self.max_limit) if self.max_limit is not None else limit

    # --- filters -------------------------------------------------------------------------------

    def filters(self, value: Any, rtype: ResourceType) -> Filter | None:
        if value is None or value == {}:
            return None
        if not isinstance(value, dict):
            raise invalid_key("filters", reason="expected an object")
        return self._group(value, rtype, "")

    def _group(self, obj: Mapping[str, Any], rtype: ResourceType, path: str) -> Filter | None:
        items: list[Filter] = []
        for key, value in obj.items():
            here = f"{path}.{key}" if path else key
            if key in ("$and", "$or"):
                parts = [p for p in (self._group(_obj(v, here), rtype, here) for v in _array(value, here)) if p is not None]
                if parts:
                    items.append(And(tuple(parts)) if key == "$and" else Or(tuple(parts)))
                elif key == "$or":
                    items.append(Or(()))
            elif key == "$not":
                inner = self._group(_obj(value, here), rtype, here)
                if inner is not None:
                    items.append(Not(inner))
            elif key.startswith("$"):
                raise invalid_key(key, here)
            elif key in ("id", "documentId") or key in rtype.attributes:
                f = self._field(key, value, rtype, here)
                if f is not None:
                    items.append(f)
            elif key in rtype.relationships:
                f = self._relation(key, value, rtype, here)
                if f is not None:
                    items.append(f)
            else:
                raise invalid_key(key, here)
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def _relation(self, name: str, value: Any, rtype: ResourceType, here: str) -> Filter | None:
        target = self.schema[rtype.relationships[name].target]
        if not isinstance(value, dict) or any(k.startswith("$") and k not in ("$and", "$or", "$not") for k in value):
            # filters[author][$eq]=1 / filters[author]=1 / filters[author][$null]=true: about the related id.
            if isinstance(value, dict) and set(value) <= {"$null", "$notNull"}:
                (op, v), *rest = value.items()
                if rest:
                    raise invalid_key(name, here, reason="give one of $null and $notNull")
                empty = _boolean(v, f"{here}.{op}") == (op == "$null")
                return Not(Related(name)) if empty else Related(name)
            inner = self._field("id", value, target, here)
            return None if inner is None else Related(name, inner)
        # filters[author][id][$null]=true: no related resource at all (Strapi joins, so a missing row has a null id).
        if set(value) == {"id"} and isinstance(value["id"], dict) and set(value["id"]) <= {"$null", "$notNull"} and len(value["id"]) == 1:
            ((op, v),) = value["id"].items()
            empty = _boolean(v, f"{here}.id.{op}") == (op == "$null")
            return Not(Related(name)) if empty else Related(name)
        inner = self._group(value, target, here)
        return None if inner is None else Related(name, inner)  # an empty object filters nothing, as in Strapi

    def _field(self, name: str, value: Any, rtype: ResourceType, here: str) -> Filter | None:
        if isinstance(value, list):
            return self._compare(name, "$in", value, rtype, here)
        if not isinstance(value, dict):
            return self._compare(name, "$eq", value, rtype, here)
        items: list[Filter] = []
        for op, v in value.items():
            at = f"{here}.{op}"
            if op in ("$and", "$or"):
                parts = [p for p in (self._field(name, x, rtype, at) for x in _array(v, at)) if p is not None]
                if parts:
                    items.append(And(tuple(parts)) if op == "$and" else Or(tuple(parts)))
            elif op == "$not":
                inner = self._field(name, v, rtype, at)
                if inner is not None:
                    items.append(Not(inner))
            elif op in OPERATORS:
                items.append(self._compare(name, op, v, rtype, at))
            else:
                raise invalid_key(op, at)
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def _compare(self, name: str, op: str, value: Any, rtype: ResourceType, here: str) -> Filter:
        canonical = OPERATORS[op]
        field_name = "id" if name == "documentId" else name
        if canonical in ("is_null", "is_not_null"):
            wanted = _boolean(value, here)
            return Cmp(field_name, canonical if wanted else ("is_not_null" if canonical == "is_null" else "is_null"))
        if canonical in ("in", "not_in", "between"):
            values = value if isinstance(value, list) else [value]
            if canonical == "between" and len(values) != 2:
                raise validation(f"Invalid value for {here}: $between takes two values")
            converted = tuple(self._value(name, v, rtype, here) for v in values)
            if name == "documentId":
                converted = tuple(v for v in converted if v is not None)
            return Cmp(field_name, canonical, converted)
        if (canonical in TEXT_OPS or canonical in ("ieq", "ine")) and not is_text_field(self.schema, rtype, field_name):
            raise validation(f"Invalid key {op} at {here}: it compares text, and {name} is not a text attribute")
        if canonical in TEXT_OPS:
            if not isinstance(value, str):
                raise validation(f"Invalid value for {here}: expected a string")
            return Cmp(field_name, canonical, value)
        if canonical in ("ieq", "ine"):
            if not isinstance(value, str):
                raise validation(f"Invalid value for {here}: expected a string")
            # Case-insensitive equality is a case-insensitive LIKE without wildcards; the canonical
            # "ilike" has no escape character, so a value with one cannot be compared exactly.
            if any(c in value for c in "%_\\"):
                raise validation(f"Invalid value for {here}: relgate cannot compare a value containing %, _ or \\ case-insensitively")
            f = Cmp(field_name, "ilike", value)
            return f if canonical == "ieq" else Not(f)
        converted_one = self._value(name, value, rtype, here)
        if name == "documentId" and converted_one is None and value is not None:
            return Cmp("id", "in", ())  # a documentId relgate never made matches nothing (or everything, negated)
        return Cmp(field_name, canonical, converted_one)

    def _value(self, name: str, value: Any, rtype: ResourceType, here: str) -> Any:
        """A query-string value as the attribute's Python value (ids stay canonical strings)."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise validation(f"Invalid value for {here}: expected a single value")
        if name == "documentId":
            decoded = self.ids.decode(value, rtype.name)
            return decoded[1] if decoded is not None and decoded[0] == rtype.name else None
        if name == "id":
            canonical = parse_id(rtype.id_style, value)
            if canonical is None:
                raise validation(f"Invalid value for {here}: {value!r} is not a valid {_id_label(rtype)}")
            return canonical
        kind = rtype.attributes[name].kind
        try:
            if kind == "string" or kind == "json":
                return value
            if kind == "integer":
                number = int(value)
                if not BIGINT_MIN <= number <= BIGINT_MAX:
                    raise ValueError
                return number
            if kind == "float":
                number = float(value)
                if not math.isfinite(number):
                    raise ValueError
                return number
            if kind == "boolean":
                if value.lower() in TRUE:
                    return True
                if value.lower() in FALSE:
                    return False
                raise ValueError
            if kind == "date":
                return dt.date.fromisoformat(value)
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise validation(f"Invalid value for {here}: {value!r} is not a valid {kind}") from None


def store_fields(view: View) -> dict[str, frozenset[str]]:
    """Per type, the attributes and relationships any place of the view needs from the store.

    A type shown with all its attributes somewhere gets them all; relationships are only the
    populated ones, so an unpopulated read loads no linkage at all.
    """
    need: dict[str, set[str]] = {}

    def walk(v: View) -> None:
        names = need.setdefault(v.type.name, set())
        names.update(v.type.attributes if v.fields is None else v.fields)
        names.update(v.populate)
        for sub in v.populate.values():
            names_sub = need.setdefault(sub.type.name, set())
            names_sub.update(k.path[0] for k in sub.sort)
            walk(sub)

    walk(view)
    return {t: frozenset(n) for t, n in need.items()}


def _names(value: Any, path: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise invalid_key(path)
        out.extend(s.strip() for s in item.split(",") if s.strip())
    return out


def _truthy(value: Any) -> bool:
    return value is None or (isinstance(value, str) and (value.lower() in TRUE or value == "*"))


def _boolean(value: Any, here: str) -> bool:
    if value is None:
        return True
    if isinstance(value, str) and value.lower() in TRUE:
        return True
    if isinstance(value, str) and value.lower() in FALSE:
        return False
    raise validation(f"Invalid value for {here}: expected true or false")


def _integer(value: Any, name: str, *, minimum: int) -> int:
    text = value if isinstance(value, str) else ""
    try:
        number = int(text.strip())
    except ValueError:
        number = None
    if number is None or number < minimum:
        expected = f"an integer > {minimum - 1}" if minimum > 0 else ("an integer >= 0" if minimum == 0 else "an integer >= 0 or -1")
        raise pagination_error(f"Invalid '{name}' parameter. Expected {expected}, received: {value}")
    if number > BIGINT_MAX:
        raise pagination_error(f"Invalid '{name}' parameter. Expected an integer <= {BIGINT_MAX}, received: {value}")
    return number


def _array(value: Any, here: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):  # $or[5][..] beyond qs's array limit arrives as an object
        return list(value.values())
    raise invalid_key(here.rsplit(".", 1)[-1], here, reason="expected an array")


def _obj(value: Any, here: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise invalid_key(here.rsplit(".", 1)[-1], here, reason="expected an object")
    return value


def _id_label(rtype: ResourceType) -> str:
    return {"integer": "number", "uuid": "uuid", "string": "id"}[rtype.id_style]
