"""The server half of ``restless-legacy``: a 0.17 request -> a Batch, an Outcome -> a 0.17 response.

Every request is one Batch.  Writes end with a ``Get`` of the written row including every
relationship (0.17 answers with the full object); searches are one ``List`` with a count.
:class:`Reply` is the render context: what kind of document to build from which result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import orjson

from relgate.config import Route, ServerConfig
from relgate.dialects import Intent
from relgate.dialects.restless_legacy.documents import (
    CALLBACK,
    Renderer,
    Window,
    aggregate_key,
    link_header,
    lookup_of,
    plain,
    respond,
)
from relgate.dialects.restless_legacy.errors import ErrorRenderer, bad, missing, undecodable, unsupported_media_type
from relgate.dialects.restless_legacy.fields import Catalog, Fields
from relgate.dialects.restless_legacy.nested import Body
from relgate.dialects.restless_legacy.routes import Router, Target
from relgate.dialects.restless_legacy.search import Search, SearchParser, utc_now
from relgate.dialects.restless_legacy.settings import read_settings
from relgate.dialects.wire import load_json, query_pairs
from relgate.model import (
    Aggregate,
    Aggregates,
    Batch,
    Count,
    Delete,
    DeleteWhere,
    Get,
    GetRelated,
    HttpRequest,
    HttpResponse,
    Ident,
    List,
    One,
    Op,
    Outcome,
    Page,
    ProblemError,
    Query,
    Remove,
    ResourceList,
    UpdateWhere,
)
from relgate.schema import BIGINT_MAX, Schema, ValueProblem, coerce_attribute, parse_id

ReplyKind = Literal["object", "page", "single", "related", "modified", "deleted", "aggregates", "no_content", "options"]
AGGREGATE_FUNCTIONS = frozenset({"sum", "avg", "min", "max", "count"})
NUMERIC = frozenset({"integer", "float"})


@dataclass(frozen=True, slots=True)
class Reply:
    """How to answer (the Intent's context)."""

    kind: ReplyKind
    fields: Fields
    status: int = 200
    url: str = ""
    """Absolute URL of the collection (0.17 ``request.base_url`` for Location / Link)."""
    window: Window | None = None
    link: bool = False
    callback: str | None = None
    head: bool = False
    functions: tuple[tuple[str, str], ...] = ()
    allow: frozenset[str] = field(default_factory=frozenset)


class LegacyServer:
    def __init__(self, schema: Schema, route: Route, server_config: ServerConfig, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.schema = schema
        self.route = route
        self.max_depth = server_config.max_json_depth
        self.max_nested_items = server_config.max_nested_items
        self.catalog = Catalog(schema)
        self.settings = read_settings(
            route.options,
            prefix=route.prefix,
            collection_names=frozenset(self.catalog.by_collection),
            max_page_size=server_config.max_page_size,
        )
        self.router = Router(self.catalog, self.settings)
        self.search = SearchParser(self.catalog, clock=clock, max_depth=self.max_depth)
        self.renderer = Renderer(self.catalog)
        self.errors = ErrorRenderer(self.catalog)
        self.includes: dict[str, Query] = {name: self._include_query(name) for name in schema.types}

    def covers(self, path: str) -> bool:
        """True for a path under one of this door's collections or ``/eval/<collection>``.

        Anything else (a health URL, another blueprint of the backend app) is not 0.17's API and
        a proxy streams it to the backend untouched.
        """
        segments = path.strip("/").split("/")
        if len(segments) == 2 and segments[0] == "eval" and segments[1] in self.router.collections:
            return True
        return segments[0] in self.router.collections

    # --- parse -------------------------------------------------------------------------------

    def parse(self, request: HttpRequest) -> Intent:
        method = request.method.upper()
        target = self.router.match(method, request.path)
        params = _params(request.query)
        callback = _callback(params)
        fields = target.fields
        url = _collection_url(request, self.route.prefix, fields.name)
        common = {"fields": fields, "url": url, "callback": callback, "head": method == "HEAD"}
        if method == "OPTIONS":
            return Intent(Batch(()), Reply("options", fields, allow=target.collection.allowed[target.kind]))
        if method == "HEAD":
            method = "GET"
        kind = target.kind
        if kind == "eval":
            ops, reply = self._eval(fields, params, common)
        elif kind == "collection":
            if method == "GET":
                ops, reply = self._list(fields, params, common)
            elif method == "POST":
                body = self._body(request)
                ops, reply = self._create(fields, body), Reply("object", status=201, **common)
            elif method in ("PATCH", "PUT"):
                ops, reply = self._update_many(fields, request, params), Reply("modified", **common)
            else:
                ops, reply = self._delete_many(fields, params), Reply("deleted", **common)
        elif kind == "instance":
            if method == "GET":
                ops, reply = [Get(self._ref(fields, target.instid), self.includes[fields.rtype.name])], Reply("object", **common)
            elif method in ("PATCH", "PUT"):
                body = self._body(request)
                ops, reply = self._update(fields, target.instid, body), Reply("object", **common)
            else:
                ops, reply = [Delete(self._ref(fields, target.instid))], Reply("no_content", **common)
        else:
            ops, reply = self._relation(target, method, request, params, common)
        return Intent(Batch(tuple(ops)), reply)

    def _ref(self, fields: Fields, raw: str | None) -> Ident:
        canonical = parse_id(fields.rtype.id_style, raw or "")
        if canonical is None:
            raise missing()  # 0.17: no row has that primary key -> 404 {}
        return Ident(fields.rtype.name, canonical)

    def _include_query(self, type_name: str) -> Query:
        """Every relationship, one level deep; related rows carry only their columns' linkage."""
        rtype = self.schema[type_name]
        include = tuple((r,) for r in rtype.relationships)
        fields: dict[str, frozenset[str]] = {}
        for rel in rtype.relationships.values():
            if rel.target != type_name:
                f = self.catalog.of(rel.target)
                fields[rel.target] = frozenset(f.attributes) | frozenset(r.name for r in f.fk_columns.values())
        return Query(include=include, fields=fields)

    def _with(self, type_name: str, **changes: Any) -> Query:
        base = self.includes[type_name]
        return Query(include=base.include, fields=base.fields, **changes)

    # --- bodies ------------------------------------------------------------------------------

    def _body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = request.header("content-type")
        if content_type is None or not content_type.strip().lower().startswith("application/json"):
            raise unsupported_media_type()
        if not request.body.strip():
            raise undecodable("the request body is empty")
        try:
            data = load_json(request.body, max_depth=self.max_depth)
        except ProblemError as exc:
            raise undecodable(exc.problems[0].detail) from None
        if data is None:
            return {}  # 0.17: request.get_json() or {}
        if not isinstance(data, dict):
            raise bad(f"The request body must be a JSON object, not {type(data).__name__}")
        return data

    def _create(self, fields: Fields, body: dict[str, Any]) -> list[Op]:
        b = Body(self.catalog, creating=True, max_items=self.max_nested_items)
        ref = b.create(fields, body)
        return [*b.ops, Get(ref, self.includes[fields.rtype.name])]

    def _update(self, fields: Fields, instid: str | None, body: dict[str, Any]) -> list[Op]:
        b = Body(self.catalog, creating=False, max_items=self.max_nested_items)
        ref = self._ref(fields, instid)
        b.update(fields, ref, body)
        return [*b.ops, Get(ref, self.includes[fields.rtype.name])]

    def _update_many(self, fields: Fields, request: HttpRequest, params: dict[str, str]) -> list[Op]:
        if "q" in params:
            raise bad('A bulk PATCH takes its search in the body ({"q": {...}, ...}), not in the query string', parameter="q")
        body = self._body(request)
        q = body.pop("q", {})
        attributes: dict[str, Any] = {}
        for key, value in body.items():
            kind = fields.kind(key)
            if kind is None:
                raise bad(f"Model does not have field '{key}'", at=(key,), code="unknown-field")
            if kind != "attribute":
                raise bad(f"{key}: a bulk PATCH sets attributes only; change {key!r} through PATCH of each {fields.name}", at=(key,))
            try:
                attributes[key] = coerce_attribute(fields.attributes[key], value)
            except ValueProblem as exc:
                raise bad(f"{key}: {exc}", at=(key,)) from None
        found = self.search.search(fields, q, keys=frozenset({"filters"}), purpose="a bulk PATCH")
        if not attributes:
            return []  # 0.17 modifies nothing and reports 0
        return [UpdateWhere(fields.rtype.name, found.where, attributes)]

    def _delete_many(self, fields: Fields, params: dict[str, str]) -> list[Op]:
        q: Any = {}
        if "q" in params:
            raw = params["q"]
            try:
                q = self.search.decode(raw)
            except ProblemError:
                raise undecodable("q is not valid JSON", parameter="q", what="search query") from None
        found = self.search.search(fields, q, keys=frozenset({"filters"}), purpose="a bulk DELETE")
        return [DeleteWhere(fields.rtype.name, found.where)]

    # --- reads -------------------------------------------------------------------------------

    def _list(self, fields: Fields, params: dict[str, str], common: dict[str, Any]) -> tuple[list[Op], Reply]:
        found = self.search.search(fields, self.search.decode(params["q"])) if "q" in params else Search()
        name = fields.rtype.name
        if found.single:
            limit = min(found.limit, 2) if found.limit else 2
            query = self._with(name, where=found.where, sort=found.sort, page=Page(found.offset, limit))
            return [List(name, query)], Reply("single", **common)
        window = self._window(params, found.offset, found.limit)
        offset, limit = window.fetch()
        query = self._with(name, where=found.where, sort=found.sort, page=Page(offset, limit), count=True)
        return [List(name, query)], Reply("page", window=window, link=True, **common)

    def _window(self, params: dict[str, str], offset: int = 0, limit: int | None = None) -> Window:
        raw = params.get("page", "1")
        try:
            page = int(raw)
        except ValueError:
            page = 0
        if page < 1:
            raise bad(f"page must be a positive integer, not {raw!r}", parameter="page")
        if page > BIGINT_MAX:
            raise bad(f"page must be at most {BIGINT_MAX}, not {raw!r}", parameter="page")
        per_page = self.settings.results_per_page
        try:
            asked = int(params["results_per_page"])
        except (KeyError, ValueError):
            asked = 0  # 0.17: a missing or unparsable value means the server default
        if asked > 0:
            per_page = asked
        per_page = min(per_page, self.settings.max_results_per_page)
        return Window(page, per_page, offset, limit)

    def _relation(
        self, target: Target, method: str, request: HttpRequest, params: dict[str, str], common: dict[str, Any]
    ) -> tuple[list[Op], Reply]:
        fields = target.fields
        rel = target.relation
        if rel is None:
            raise bad(f"{fields.name} has no relation {target.relation_name!r}")
        if method in ("PATCH", "PUT"):
            raise bad(
                f"{method} on a relation URL is not supported (0.17 would apply it to {fields.name} {target.instid} itself); "
                f'send {{"{rel.name}": ...}} in a {method} of /{fields.name}/{target.instid}'
            )
        ref = self._ref(fields, target.instid)
        related = self.catalog.target(rel)
        if method == "DELETE":
            if target.relinstid is None:
                raise bad(f'Cannot DELETE entire "{rel.name}" relation')
            if not rel.many:
                raise bad(f'{rel.name!r} is a to-one relation; unset it with PATCH /{fields.name}/{target.instid} {{"{rel.name}": null}}')
            member_id = parse_id(related.rtype.id_style, target.relinstid)
            if member_id is None:
                raise bad(f"{related.name} {target.relinstid!r} is not related to {fields.name} {target.instid}")
            remove = Remove(ref, rel.name, (Ident(related.rtype.name, member_id),), require_present=True)
            return [remove], Reply("no_content", **common)
        if "q" in params:
            raise bad("q applies to collection URLs only; a relation URL is not searchable", parameter="q")
        if target.relinstid is not None:
            member_id = parse_id(related.rtype.id_style, target.relinstid)
            if member_id is None:
                raise missing()
            owner = Get(ref, Query(fields={fields.rtype.name: frozenset()}))
            return [owner, Get(Ident(related.rtype.name, member_id), self.includes[related.rtype.name])], Reply("object", **common)
        if not rel.many:
            return [GetRelated(ref, rel.name, self.includes[related.rtype.name])], Reply("related", **common)
        window = self._window(params)
        offset, limit = window.fetch()
        query = self._with(related.rtype.name, page=Page(offset, limit), count=True)
        return [GetRelated(ref, rel.name, query)], Reply("page", window=window, **common)

    def _eval(self, fields: Fields, params: dict[str, str], common: dict[str, Any]) -> tuple[list[Op], Reply]:
        raw = params.get("q", "")
        if not raw:
            raise bad("Empty query parameter", parameter="q")
        q = self.search.decode(raw) or {}
        if not isinstance(q, dict):
            raise bad('q must be a JSON object with a "functions" list', parameter="q")
        for key in q:
            if key != "functions":
                raise bad(f"unknown key {key!r} in q for /eval (allowed: functions)", parameter="q")
        items = q.get("functions") or []
        if not isinstance(items, list):
            raise bad('"functions" must be a list of {"name", "field"} objects', parameter="q")
        functions: list[tuple[str, str]] = []
        for i, item in enumerate(items):
            where = f"q.functions[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(item.get("field"), str):
                raise bad(f'{where}: a function is an object with string "name" and "field"', parameter="q")
            extra = set(item) - {"name", "field"}
            if extra:
                raise bad(f"{where}: unknown key {sorted(extra)[0]!r} (allowed: field, name)", parameter="q")
            name, field_name = item["name"], item["field"]
            if name not in AGGREGATE_FUNCTIONS:
                raise bad(
                    f'No such function "{name}" (at {where}.name; relgate evaluates {", ".join(sorted(AGGREGATE_FUNCTIONS))})',
                    parameter="q",
                )
            kind = fields.kind(field_name)
            if kind not in ("id", "attribute"):
                raise bad(f'No such field "{field_name}" (at {where}.field)', parameter="q")
            attr = fields.attributes.get(field_name)
            if name in ("sum", "avg") and (attr is None or attr.kind not in NUMERIC):
                raise bad(f'Cannot evaluate "{name}" on the non-numeric field "{field_name}" (at {where})', parameter="q")
            if name in ("min", "max") and attr is not None and attr.kind == "json":
                raise bad(f'Cannot evaluate "{name}" on the JSON field "{field_name}" (at {where})', parameter="q")
            functions.append((name, field_name))
        if not functions:
            return [], Reply("no_content", **common)
        return [Aggregate(fields.rtype.name, tuple(functions))], Reply("aggregates", functions=tuple(functions), **common)

    # --- render ------------------------------------------------------------------------------

    def render(self, intent: Intent, outcome: Outcome) -> HttpResponse:
        reply: Reply = intent.context
        kind = reply.kind
        result = outcome.results[-1] if outcome.results else None
        say = lambda status, doc, headers=(): respond(status, doc, headers, callback=reply.callback, head=reply.head)  # noqa: E731
        if kind == "options":
            return HttpResponse(200, (("Allow", ", ".join(sorted(reply.allow))), ("Content-Type", "text/html; charset=utf-8")))
        if kind == "no_content":
            return HttpResponse(204)
        if kind == "modified":
            return say(200, {"num_modified": result.n if isinstance(result, Count) else 0})
        if kind == "deleted":
            n = result.n if isinstance(result, Count) else 0
            return say(200 if n > 0 else 404, {"num_deleted": n})
        if kind == "aggregates":
            assert isinstance(result, Aggregates)
            return say(200, {aggregate_key(fn, f): plain(result.values.get((fn, f))) for fn, f in reply.functions})
        if kind == "page":
            assert isinstance(result, ResourceList) and reply.window is not None
            lookup = lookup_of(result.items, result.included)
            doc = reply.window.envelope(result.total or 0, [self.renderer.resource(r, lookup) for r in result.items])
            headers = [("Link", link_header(reply.url, doc["page"], doc["total_pages"], reply.window.per_page))] if reply.link else []
            return say(200, doc, headers)
        if kind == "single":
            assert isinstance(result, ResourceList)
            if not result.items:
                return say(404, {"message": "No result found"})
            if len(result.items) > 1:
                return say(400, {"message": "Multiple results found"})
            doc = self.renderer.resource(result.items[0], lookup_of(result.items, result.included))
            return say(200, doc, [("Location", f"{reply.url}/{quote(result.items[0].id, safe='')}")])
        assert isinstance(result, One)
        if result.item is None:
            return say(404, {})
        doc = self.renderer.resource(result.item, lookup_of((result.item,), result.included))
        # percent-encoded: a client id may hold any character, and HTTP header values are latin-1
        headers = [("Location", f"{reply.url}/{quote(result.item.id, safe='')}")] if reply.status == 201 else []
        return say(reply.status, doc, headers)

    def render_error(self, error: ProblemError, request: HttpRequest | None) -> HttpResponse:
        callback = None
        head = False
        sent: Any = None
        if request is not None:
            head = request.method.upper() == "HEAD"
            try:
                callback = _callback(_params(request.query))
            except ProblemError:
                callback = None
            if request.body:
                try:
                    sent = orjson.loads(request.body)
                except orjson.JSONDecodeError:
                    sent = None
        status, body = self.errors.status_and_body(error, sent)
        return respond(status, body, callback=callback, head=head)


def _params(query: str) -> dict[str, str]:
    """Query parameters, the first value of each (Flask's ``request.args.get``)."""
    out: dict[str, str] = {}
    for name, value in query_pairs(query):
        out.setdefault(name, value)
    return out


def _callback(params: dict[str, str]) -> str | None:
    value = params.get("callback")
    if not value:
        return None
    if not CALLBACK.match(value):
        raise bad("callback must be a JavaScript function name", parameter="callback")
    return value


def _collection_url(request: HttpRequest, prefix: str, collection: str) -> str:
    """Absolute URL of a collection, for Location and Link (0.17 uses ``request.base_url``).

    The origin is the front door's (relgate/edge.py), never the raw ``Host`` or
    ``X-Forwarded-Proto``; without one the URL stays relative.
    """
    base = request.base or prefix
    if "://" not in base:
        base = f"{request.origin}{base}"
    return f"{base}/{collection}"
