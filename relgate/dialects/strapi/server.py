"""The Strapi front door's server half: requests -> canonical batches, outcomes -> Strapi answers.

Each request becomes one atomic batch:

- ``GET /:plural`` -> ``List``; ``GET /:plural/:id`` -> ``Get``;
- ``POST`` -> ``Create`` (a lid), the relation operations on that lid, then a ``Get`` of the
  result (so the answer shows the relations as written, populated as the query asks);
- ``PUT`` -> ``Update`` (or an existence check when no attribute changes; either is the 404
  check), existence checks of named documents, relation operations, ``Get``;
- ``DELETE`` -> ``Delete`` (Strapi 4 format: a ``Get`` first, to answer with the entry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from relgate.config import Backend, Route, RouteOptionsError, ServerConfig
from relgate.dialects import Intent
from relgate.dialects.strapi import qs
from relgate.dialects.strapi.docids import DocumentIds
from relgate.dialects.strapi.documents import Format, Renderer, read_data
from relgate.dialects.strapi.errors import JSON_HEADERS, RelationFacts, envelope_for, not_found, response, too_many_entries, validation
from relgate.dialects.strapi.query import Paging, QueryParser, View
from relgate.dialects.strapi.relations import RelationParser, exists
from relgate.dialects.strapi.routes import route
from relgate.dialects.wire import dumps, load_json
from relgate.model import (
    Batch,
    Create,
    Delete,
    Get,
    HttpRequest,
    HttpResponse,
    Ident,
    List,
    One,
    Op,
    Outcome,
    Path,
    ProblemError,
    Resource,
    ResourceList,
    Update,
)
from relgate.schema import ResourceType, Schema, parse_id
from relgate.suggest import did_you_mean

NEW = "strapi-new"
"""The lid of the document a POST creates."""

IRREGULAR = {"people": "person"}


@dataclass(frozen=True, slots=True)
class Plan:
    """The render context of a parsed request."""

    action: str
    view: View
    fmt: Format
    paging: Paging | None = None
    result: int = -1


class StrapiServer:
    def __init__(self, schema: Schema, route_config: Route, server_config: ServerConfig, *, ids: DocumentIds | None = None) -> None:
        options = dict(route_config.options)
        problems: list[str] = []
        fmt = options.pop("response_format", "v5")
        if fmt not in ("v5", "v4"):
            problems.append(f"options.response_format: must be 'v5' or 'v4', not {fmt!r}")
        default_limit = options.pop("default_limit", 25)
        max_limit = options.pop("max_limit", server_config.max_page_size)
        for name, limit in (("default_limit", default_limit), ("max_limit", max_limit)):
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
                problems.append(f"options.{name}: must be a positive integer")
        with_count = options.pop("with_count", True)
        if not isinstance(with_count, bool):
            problems.append("options.with_count: must be a boolean")
        known = ("default_limit", "max_limit", "response_format", "with_count")
        for name in sorted(options):
            problems.append(f"options.{name}: unknown option{did_you_mean(name, known)} (known: {', '.join(known)})")
        if problems:
            raise RouteOptionsError(problems)
        self.schema = schema
        self.v4_route = fmt == "v4"
        self.max_depth = server_config.max_json_depth
        self.types = schema.accepted_for("strapi")
        self.ids = ids if ids is not None else DocumentIds(schema.types)
        self.queries = QueryParser(
            schema,
            self.ids,
            default_limit=default_limit,
            max_limit=max_limit,
            with_count=with_count,
            max_populate_depth=server_config.max_populate_depth,
        )
        self.max_populated = server_config.max_populated_entries
        self.relations = RelationParser(schema, self.ids)
        self.renderer = Renderer(schema, self.ids)
        self.uids = {t.name: _uid(t.name_in("strapi")) for t in schema.types.values()}

    def streams_to(self, backend: Backend) -> bool:
        """A Strapi backend answers this door's own format (v5 or v4): then it is streamed untouched."""
        return (backend.options.get("response_format", "v5") == "v4") == self.v4_route

    def covers(self, path: str) -> bool:
        """True for a path under one of the schema's content types (``/restaurants[/<id>]``).

        Strapi's other routes (``/upload``, ``/auth/local``, ``/users`` of users-permissions, a
        plugin's) are not the content API this door translates: a proxy streams them untouched.
        """
        return path.strip("/").split("/")[0] in self.types

    # --- parse --------------------------------------------------------------------------------

    def parse(self, request: HttpRequest) -> Intent:
        r = route(request.method, request.path, self.types)
        try:
            params = qs.parse(request.query)
        except qs.QueryStringError as exc:
            raise validation(f"Invalid query string: {exc}", code="bad-parameter") from None
        header = (request.header("strapi-response-format") or "").strip().lower()
        fmt = Format(v4=self.v4_route or header == "v4", document_ids=not self.v4_route)
        rtype = r.type
        if r.action == "find":
            query, view, paging = self.queries.read(params, rtype, listing=True)
            return Intent(Batch((List(rtype.name, query),)), Plan("find", view, fmt, paging))
        query, view, _ = self.queries.read(params, rtype, listing=False)
        if r.action == "create":
            ref = Ident(rtype.name, lid=NEW)
            data = read_data(self._body(request), rtype, creating=True)
            ops: list[Op] = [Create(ref, rtype.name, data.attributes, at=("data",), returning=False)]
            ops.extend(self._relation_ops(ref, rtype, data.relations, creating=True))
            ops.append(Get(ref, query))
            return Intent(Batch(tuple(ops)), Plan("create", view, fmt))
        ref = self._ref(rtype, r.document or "")
        if r.action == "findOne":
            return Intent(Batch((Get(ref, query),)), Plan("findOne", view, fmt))
        if r.action == "update":
            data = read_data(self._body(request), rtype, creating=False)
            # The Update (or, with no attribute to change, a bare existence check) also answers 404;
            # the final Get answers, so the Update reads nothing back (its result would carry the
            # linkage of every relationship).
            ops = [Update(ref, data.attributes, at=("data",), returning=False) if data.attributes else exists(ref)]
            ops.extend(self._relation_ops(ref, rtype, data.relations, creating=False))
            ops.append(Get(ref, query))
            return Intent(Batch(tuple(ops)), Plan("update", view, fmt))
        if self.v4_route:
            return Intent(Batch((Get(ref, query), Delete(ref))), Plan("delete", view, fmt, result=0))
        return Intent(Batch((Delete(ref),)), Plan("delete", view, fmt))

    def _body(self, request: HttpRequest) -> Any:
        if not request.body.strip():
            return {}
        return load_json(request.body, max_depth=self.max_depth)

    def _ref(self, rtype: ResourceType, segment: str) -> Ident:
        """The document a URL names: a documentId (Strapi 5), or a row id on a Strapi 4 route."""
        decoded = self.ids.decode(segment, rtype.name)
        if decoded is not None:
            if decoded[0] != rtype.name:
                raise not_found()
            return Ident(rtype.name, decoded[1])
        if self.v4_route:
            id_ = parse_id(rtype.id_style, segment)
            if id_ is not None:
                return Ident(rtype.name, id_)
        raise not_found()

    def _relation_ops(self, ref: Ident, rtype: ResourceType, relations: tuple[tuple[str, Any], ...], *, creating: bool) -> list[Op]:
        checks: list[Op] = []
        writes: list[Op] = []
        for name, value in relations:
            at: Path = ("data", name)
            write = self.relations.parse(rtype.relationships[name], value, at, creating=creating)
            c, w = self.relations.ops(ref, write, at)
            checks.extend(c)
            writes.extend(w)
        return checks + writes

    # --- render -------------------------------------------------------------------------------

    def render(self, intent: Intent, outcome: Outcome) -> HttpResponse:
        plan: Plan = intent.context
        if plan.action == "delete" and not self.v4_route:
            return HttpResponse(204)
        result = outcome.results[plan.result]
        if plan.action in ("find", "findOne") and plan.view.populate and isinstance(result, (ResourceList, One)):
            # The store reads each resource once; rendering repeats it at every path: count first.
            items = result.items if isinstance(result, ResourceList) else ((result.item,) if result.item is not None else ())
            lookup = _lookup(items, result.included)
            if self.renderer.populated(items, plan.view, lookup, self.max_populated) > self.max_populated:
                return self.render_error(too_many_entries(self.max_populated), None)
        if isinstance(result, ResourceList):
            lookup = _lookup(result.items, result.included)
            data: Any = [self.renderer.entry(r, plan.view, lookup, plan.fmt) for r in result.items]
            meta: dict[str, Any] = {"pagination": _pagination(plan.paging, result.total)} if plan.paging else {}
            return self._json(200, {"data": data, "meta": meta})
        assert isinstance(result, One) and result.item is not None
        lookup = _lookup((result.item,), result.included)
        entry = self.renderer.entry(result.item, plan.view, lookup, plan.fmt)
        status = 201 if plan.action == "create" and not self.v4_route else 200
        return self._json(status, {"data": entry, "meta": {}})

    @staticmethod
    def _json(status: int, body: Any) -> HttpResponse:
        return HttpResponse(status, JSON_HEADERS, dumps(body))

    def render_error(self, error: ProblemError, request: HttpRequest | None) -> HttpResponse:
        status, name, message, details = envelope_for(error, self._facts(request) if request is not None else None)
        return response(status, name, message, details)

    # --- facts about a failed request, for Strapi's messages -----------------------------------

    def _facts(self, request: HttpRequest) -> RelationFacts | None:
        try:
            rtype = route(request.method, request.path, self.types).type
            body = load_json(request.body, max_depth=self.max_depth) if request.body.strip() else None
        except ProblemError:
            return None

        def raw(at: Path) -> Any:
            node: Any = body
            for key in at:
                found = (isinstance(node, dict) and isinstance(key, str) and key in node) or (
                    isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
                )
                if not found:
                    return None
                node = node[key]
            return node

        def row_id(at: Path) -> Any:
            value = raw(at)
            if isinstance(value, dict):
                value = value.get("documentId", value.get("id"))
            if isinstance(value, bool):
                return None
            if isinstance(value, int):
                return value
            if isinstance(value, str):
                if value.isdigit():
                    return int(value)
                decoded = self.ids.decode(value)
                if decoded is not None:
                    return self.renderer.row_id(self.schema[decoded[0]], decoded[1])
            return None

        def uid(relationship: str) -> str:
            rel = rtype.relationships.get(relationship)
            return self.uids[rel.target] if rel is not None else self.uids[rtype.name]

        return RelationFacts(raw, row_id, uid)


def _lookup(items: tuple[Resource, ...], included: tuple[Resource, ...]) -> dict[tuple[str, str], Resource]:
    out = {(r.type, r.id): r for r in included}
    out.update({(r.type, r.id): r for r in items})
    return out


def _pagination(paging: Paging | None, total: int | None) -> dict[str, Any]:
    assert paging is not None
    if paging.by_page:
        meta: dict[str, Any] = {"page": paging.start // paging.limit + 1, "pageSize": paging.limit}
        if paging.count and total is not None:
            meta["pageCount"] = math.ceil(total / paging.limit)
            meta["total"] = total
        return meta
    meta = {"start": paging.start, "limit": paging.limit}
    if paging.count and total is not None:
        meta["total"] = total
    return meta


def _uid(plural: str) -> str:
    """Strapi's ``api::<singular>.<singular>`` uid, from the plural API name."""
    if plural in IRREGULAR:
        singular = IRREGULAR[plural]
    elif plural.endswith("ies"):
        singular = plural[:-3] + "y"
    elif plural.endswith(("sses", "xes", "ches", "shes")):
        singular = plural[:-2]
    elif plural.endswith("s") and not plural.endswith("ss"):
        singular = plural[:-1]
    else:
        singular = plural
    return f"api::{singular}.{singular}"
