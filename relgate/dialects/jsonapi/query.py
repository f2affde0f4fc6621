"""Query parameters (§3.3): ``include``, ``fields[TYPE]``, ``sort``, ``page[number|size]``,
``filter[path]`` / ``filter[path][op]`` -> a canonical :class:`~relgate.model.Query`.

Every other parameter, a parameter the endpoint does not take, and a parameter given twice are
400 with ``source.parameter`` (1.1: a server MUST 400 on a parameter it cannot process).

Pagination is page-number based: ``page[number]`` from 1, ``page[size]`` defaulting to the
server's ``default_page_size``; a larger size than ``max_page_size`` is clamped to it (the
pagination links show the size actually used).  Collections always count their matches
(``meta.total``) so that ``last`` can be linked.

Filters: ``filter[name]=Alice`` is equality; ``filter[age][gt]=30`` takes an operator (see
:data:`OPERATORS`); ``filter[author.name]=Alice`` goes through relationships; ``filter[author]=1``
matches the related resource's id; ``in``/``not_in`` take comma-separated values and ``is_null``
takes ``true``/``false``.  Values are read with the attribute's type (400 when they do not fit).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from relgate.config import ServerConfig
from relgate.dialects.jsonapi.errors import Issues, bad_parameter
from relgate.model import And, Cmp, Filter, Not, Page, Query, Related, SortKey
from relgate.schema import ResourceType, Schema, ValueProblem, coerce_attribute, is_text_field, parse_id

FAMILIES = ("include", "fields", "sort", "page", "filter")
COLLECTION = frozenset(FAMILIES)
SINGLE = frozenset({"include", "fields"})
NOTHING: frozenset[str] = frozenset()

OPERATORS: dict[str, str] = {
    "eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "lte": "le", "gt": "gt", "ge": "ge", "gte": "ge",
    "in": "in", "not_in": "not_in", "like": "like", "ilike": "ilike",
    "contains": "contains", "icontains": "icontains", "startswith": "startswith", "istartswith": "istartswith",
    "endswith": "endswith", "iendswith": "iendswith", "is_null": "is_null",
}  # fmt: skip
"""Wire operator -> canonical comparison (``lte``/``gte`` are accepted spellings)."""

_BRACKETED = re.compile(r"^([a-z]+)((?:\[[^\[\]]*\])*)$")
_POSITIVE = re.compile(r"^[1-9][0-9]{0,8}$")
TEXT_OPERATORS = frozenset({"like", "ilike", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"})
_INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class QueryArgs:
    """A parsed query string: the canonical query plus what rendering needs."""

    query: Query
    include_given: bool = False
    page_number: int | None = None
    page_size: int | None = None
    pairs: tuple[tuple[str, str], ...] = ()

    def page_query(self, number: int) -> str:
        """The query string of another page of the same request."""
        pairs = [(k, v) for k, v in self.pairs if k not in ("page[number]", "page[size]")]
        pairs += [("page[number]", str(number)), ("page[size]", str(self.page_size))]
        return urlencode(pairs, quote_via=quote, safe=",.-")


EMPTY_ARGS = QueryArgs(Query())


class QueryParser:
    """Compiled once per front door; ``parse`` checks one request's parameters."""

    def __init__(self, schema: Schema, dialect: str, server: ServerConfig) -> None:
        self.schema = schema
        self.dialect = dialect
        self.accepted = schema.accepted_for(dialect)
        self.default_size = server.default_page_size
        self.max_size = server.max_page_size

    def parse(
        self,
        pairs: Sequence[tuple[str, str]],
        rtype: ResourceType | None,
        allowed: frozenset[str],
        *,
        include_root: ResourceType | None = None,
        include_head: str | None = None,
        paged: bool = False,
    ) -> QueryArgs:
        """Parse ``pairs`` for an endpoint whose primary type is ``rtype``.

        ``include_root`` is the type include paths start from (the parent of a relationship
        endpoint), ``include_head`` the relationship they must start with there.
        """
        issues = Issues()
        seen: set[str] = set()
        include: tuple[tuple[str, ...], ...] = ()
        include_given = False
        fields: dict[str, frozenset[str]] = {}
        sort: tuple[SortKey, ...] = ()
        filters: list[Filter] = []
        number, size = 1, self.default_size
        for name, value in pairs:
            if name in seen:
                issues.add(bad_parameter(name, f"The query parameter '{name}' is given more than once."))
                continue
            seen.add(name)
            m = _BRACKETED.match(name)
            family = m.group(1) if m else None
            if family not in FAMILIES:
                issues.add(bad_parameter(name, f"Unknown query parameter '{name}'.", "Unknown query parameter"))
                continue
            if family not in allowed:
                issues.add(bad_parameter(name, f"The query parameter '{name}' is not supported by this endpoint."))
                continue
            assert m is not None
            keys = re.findall(r"\[([^\[\]]*)\]", m.group(2))
            if family == "include" and not keys:
                include_given = True
                include = self._include(value, include_root or rtype, include_head, issues)
            elif family == "fields" and len(keys) == 1:
                self._fields(name, keys[0], value, fields, issues)
            elif family == "sort" and not keys:
                assert rtype is not None
                sort = self._sort(value, rtype, issues)
            elif family == "page" and keys in (["number"], ["size"]):
                if not _POSITIVE.match(value):
                    issues.add(bad_parameter(name, f"'{name}' must be a positive integer, got '{value}'."))
                elif keys == ["number"]:
                    number = int(value)
                else:
                    size = min(int(value), self.max_size)
            elif family == "filter" and len(keys) in (1, 2) and all(keys):
                assert rtype is not None
                f = self._filter(name, keys, value, rtype, issues)
                if f is not None:
                    filters.append(f)
            else:
                issues.add(bad_parameter(name, f"Unsupported query parameter '{name}'.", "Unknown query parameter"))
        issues.raise_if_any()
        where: Filter | None = None
        if len(filters) == 1:
            where = filters[0]
        elif filters:
            where = And(tuple(filters))
        page = Page(offset=(number - 1) * size, limit=size) if paged else None
        query = Query(where=where, sort=sort, page=page, include=include, fields=fields, count=paged)
        return QueryArgs(query, include_given, number if paged else None, size if paged else None, tuple(pairs))

    # --- families ----------------------------------------------------------------------------

    def _include(self, value: str, root: ResourceType | None, head: str | None, issues: Issues) -> tuple[tuple[str, ...], ...]:
        paths: list[tuple[str, ...]] = []
        if root is None or value == "":
            return ()
        for item in value.split(","):
            path = tuple(item.split("."))
            if head is not None and path[0] != head:
                issues.add(bad_parameter("include", f"Include paths here must start with the relationship '{head}', got '{item}'."))
                continue
            rtype = root
            for step in path:
                rel = rtype.relationships.get(step)
                if rel is None:
                    issues.add(
                        bad_parameter(
                            "include", f"'{item}' is not an include path: '{rtype.name_in(self.dialect)}' has no relationship '{step}'."
                        )
                    )
                    break
                rtype = self.schema[rel.target]
            else:
                if path not in paths:
                    paths.append(path)
        return tuple(paths)

    def _fields(self, name: str, type_name: str, value: str, out: dict[str, frozenset[str]], issues: Issues) -> None:
        rtype = self.accepted.get(type_name)
        if rtype is None:
            issues.add(bad_parameter(name, f"Unknown type '{type_name}' in '{name}'."))
            return
        names = [n for n in value.split(",") if n]
        for n in names:
            if n not in rtype.attributes and n not in rtype.relationships:
                issues.add(bad_parameter(name, f"'{type_name}' has no field '{n}'."))
        out[rtype.name] = frozenset(names)

    def _sort(self, value: str, rtype: ResourceType, issues: Issues) -> tuple[SortKey, ...]:
        keys: list[SortKey] = []
        for item in value.split(","):
            descending = item.startswith("-")
            path = tuple((item[1:] if descending else item).split("."))
            current = rtype
            ok = True
            for step in path[:-1]:
                rel = current.relationships.get(step)
                if rel is None or rel.many:
                    ok = False
                    break
                current = self.schema[rel.target]
            if ok and path[-1] != "id" and path[-1] not in current.attributes:
                ok = False
            if not ok or not all(path):
                issues.add(bad_parameter("sort", f"Cannot sort '{rtype.name_in(self.dialect)}' by '{item}'.", "Unsupported sort field"))
                continue
            keys.append(SortKey(path, descending))
        return tuple(keys)

    def _filter(self, name: str, keys: list[str], raw: str, rtype: ResourceType, issues: Issues) -> Filter | None:
        op_name = keys[1] if len(keys) == 2 else "eq"
        op = OPERATORS.get(op_name)
        if op is None:
            issues.add(bad_parameter(name, f"Unknown filter operator '{op_name}' (known: {', '.join(sorted(OPERATORS))})."))
            return None
        path = keys[0].split(".")
        chain: list[str] = []
        current = rtype
        for step in path[:-1]:
            rel = current.relationships.get(step)
            if rel is None:
                issues.add(bad_parameter(name, f"'{current.name_in(self.dialect)}' has no relationship '{step}'."))
                return None
            chain.append(step)
            current = self.schema[rel.target]
        last = path[-1]
        field = last
        if last in current.relationships and op == "is_null":
            # filter[owner][is_null]=true: no related resource (not "the related id is null", which no row is)
            if raw not in ("true", "false"):
                issues.add(bad_parameter(name, f"Invalid filter value for '{name}': is_null takes 'true' or 'false'."))
                return None
            empty: Filter = Not(Related(last)) if raw == "true" else Related(last)
            for step in reversed(chain):
                empty = Related(step, empty)
            return empty
        if last in current.relationships:
            chain.append(last)
            current = self.schema[current.relationships[last].target]
            field = "id"
        elif last != "id" and last not in current.attributes:
            issues.add(bad_parameter(name, f"'{current.name_in(self.dialect)}' has no field '{last}' to filter on."))
            return None
        if op in TEXT_OPERATORS and not is_text_field(self.schema, current, field):
            issues.add(bad_parameter(name, f"The operator '{op_name}' compares text; '{last}' is not a text field."))
            return None
        try:
            value = self._value(current, field, op, raw)
        except ValueProblem as exc:
            issues.add(bad_parameter(name, f"Invalid filter value for '{name}': {exc}."))
            return None
        if op == "is_null":
            op = "is_null" if value else "is_not_null"
            value = None
        result: Filter = Cmp(field, op, value)
        for step in reversed(chain):
            result = Related(step, result)
        return result

    def _value(self, rtype: ResourceType, field: str, op: str, raw: str) -> Any:
        if op == "is_null":
            if raw not in ("true", "false"):
                raise ValueProblem("is_null takes 'true' or 'false'")
            return raw == "true"
        if op in ("in", "not_in"):
            return tuple(self._one(rtype, field, v) for v in raw.split(","))
        return self._one(rtype, field, raw)

    def _one(self, rtype: ResourceType, field: str, raw: str) -> Any:
        if field == "id":
            value = parse_id(rtype.id_style, raw)
            if value is None:
                raise ValueProblem(f"'{raw}' is not a valid {rtype.id_style} id")
            return value
        attr = rtype.attributes[field]
        kind = attr.kind
        if kind == "integer":
            if not _INTEGER.match(raw):
                raise ValueProblem(f"'{field}' must be an integer")
            return coerce_attribute(attr, int(raw))
        if kind == "float":
            try:
                return float(raw)
            except ValueError:
                raise ValueProblem(f"'{field}' must be a number") from None
        if kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueProblem(f"'{field}' must be true or false")
            return raw == "true"
        if kind in ("date", "datetime", "string"):
            return coerce_attribute(attr, raw)
        return raw
