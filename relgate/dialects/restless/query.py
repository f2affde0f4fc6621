"""flask-restless-ng's collection parameters, on top of the JSON:API ones.

NG 3.3.0 reads two parameters on a collection and a to-many related collection
(``views/base.py`` ``collection_parameters``, ``FILTER_PARAM``, ``SORT_PARAM``):

- ``filter[objects]``: a JSON array of filter objects (``[{"name": "age", "op": "gt", "val": 20}]``),
  parsed by the :class:`~relgate.dialects.restless_filters.FilterParser` shared with the 0.17
  front door (NG's operators, no ``rel__field`` names), AND-ed with any JSON:API
  ``filter[field]=value`` of the same request (relgate's; NG ignores those);
- ``sort``: ``name,-age``, dotted through to-ones (the JSON:API codec's own ``sort``); ``sort=0``
  disables NG's default primary-key order, which here means the store's default order.

Flask-Restless 1.0.0b1's ``filter[single]`` was removed in NG 2.0.0 (NG ignores it and answers
the collection): a 400 saying so.  On endpoints without a collection (a resource, a to-one,
a relationship URL) these names are the JSON:API codec's "not supported by this endpoint" 400.

Problems are ``bad-parameter`` with ``source.parameter`` ``filter[objects]``; their detail starts
with NG's text (``Unable to decode filter objects as JSON list``, ``Invalid filter object``,
``Unable to construct query``), then names the problem and the member
(``filter[objects][0].op``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import orjson

from relgate.config import ServerConfig
from relgate.dialects.jsonapi.errors import bad_parameter
from relgate.dialects.jsonapi.query import QueryArgs, QueryParser
from relgate.dialects.restless_filters import NG_OPERATORS, NG_UNSUPPORTED, Catalog, Clock, FilterParser, utc_now
from relgate.dialects.wire import json_depth
from relgate.model import And, Filter, Path, Problem, ProblemError
from relgate.schema import ResourceType, Schema

FILTER_PARAM = "filter[objects]"
SINGLE_PARAM = "filter[single]"
SORT_PARAM = "sort"
NO_SORT = "0"

_TITLES = {
    "invalid-filter": "Invalid filter object",
    "unknown-field": "Unknown field",
    "unknown-operator": "Unknown operator",
    "unsupported-operator": "Unsupported operator",
    "invalid-value": "Invalid filter value",
}


def where_in_filter(at: Path) -> str:
    """``(0, "val", "or", 1, "op")`` -> ``filter[objects][0].val.or[1].op``."""
    out = FILTER_PARAM
    for part in at:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def filter_problem(detail: str, at: Path, code: str) -> ProblemError:
    """A bad filter object, worded as NG words it, then what and where (``fail`` of the parser)."""
    prefix = "Invalid filter object" if code == "unknown-field" else "Unable to construct query"
    title = _TITLES.get(code, "Invalid filter object")
    return ProblemError(bad_parameter(FILTER_PARAM, f"{prefix}: {detail} (at {where_in_filter(at)})", title))


def undecodable(reason: str) -> ProblemError:
    return ProblemError(bad_parameter(FILTER_PARAM, f"Unable to decode filter objects as JSON list: {reason}", "Malformed filter objects"))


class RestlessQueryParser(QueryParser):
    """The JSON:API query parser plus NG's ``filter[objects]``, ``sort=0`` and ``filter[single]``."""

    def __init__(self, schema: Schema, dialect: str, server: ServerConfig, *, clock: Clock = utc_now) -> None:
        super().__init__(schema, dialect, server)
        self.catalog = Catalog(schema, dialect)
        self.max_depth = server.max_json_depth
        self.objects = FilterParser(
            self.catalog, fail=filter_problem, operators=NG_OPERATORS, unsupported=NG_UNSUPPORTED, relation_fields=False, clock=clock
        )

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
        if rtype is None or "filter" not in allowed:
            return super().parse(pairs, rtype, allowed, include_root=include_root, include_head=include_head, paged=paged)
        problems: list[Problem] = []
        rest: list[tuple[str, str]] = []
        where: Filter | None = None
        seen: set[str] = set()
        sorts = sum(1 for name, _ in pairs if name == SORT_PARAM)
        for name, value in pairs:
            if name == SORT_PARAM and value == NO_SORT and sorts == 1:
                continue
            if name not in (FILTER_PARAM, SINGLE_PARAM):
                rest.append((name, value))
                continue
            if name in seen:
                problems.append(bad_parameter(name, f"The query parameter '{name}' is given more than once."))
                continue
            seen.add(name)
            if name == SINGLE_PARAM:
                problems.append(
                    bad_parameter(
                        name,
                        "filter[single] is not supported: flask-restless-ng removed it in 2.0.0 (it answers the whole collection); "
                        "filter with filter[objects] and read the one resource of the collection.",
                        "Unsupported query parameter",
                    )
                )
                continue
            try:
                where = self.filter_objects(value, rtype)
            except ProblemError as error:
                problems.extend(error.problems)
        try:
            args = super().parse(rest, rtype, allowed, include_root=include_root, include_head=include_head, paged=paged)
        except ProblemError as error:
            raise ProblemError(*problems, *error.problems) from None
        if problems:
            raise ProblemError(*problems)
        if where is not None:
            combined = where if args.query.where is None else And((args.query.where, where))
            args = dataclasses.replace(args, query=dataclasses.replace(args.query, where=combined))
        # the pagination links repeat every parameter of the request, NG's included
        return dataclasses.replace(args, pairs=tuple(pairs))

    def filter_objects(self, raw: str, rtype: ResourceType) -> Filter | None:
        """``filter[objects]``'s value -> one canonical filter (``None`` for ``[]``)."""
        try:
            value: Any = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise undecodable(str(exc)) from None
        if json_depth(value, self.max_depth) > self.max_depth:
            raise undecodable(f"it nests deeper than {self.max_depth} levels")
        if not isinstance(value, list):
            raise filter_problem(f"{FILTER_PARAM} must be a JSON array of filter objects, not {_kind(value)}", (), "invalid-filter")
        return self.objects.filters(self.catalog.of(rtype.name), value, ())


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null"
