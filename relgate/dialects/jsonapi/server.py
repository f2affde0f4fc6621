"""The JSON:API server half: requests -> canonical batches, outcomes -> response documents.

Order of checks for every request: the URL (404), the method (405 with ``Allow``; a POST or
DELETE to a to-one relationship URL is the profile's 400/403/405), ``Accept`` (406),
``Content-Type`` (415; on a request without a document only when it names the JSON:API media
type), query parameters (400, ``source.parameter``), the document (400/403/409 with
``source.pointer``).  Problems found by the store later (404 for a missing related resource, 409
for a taken unique value or id) point into the document through the ``at`` the ops carry.

Subclass :class:`JsonApiServer` (Oro) to handle a request's top-level ``included``: override
:meth:`JsonApiServer.included_ops`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from relgate.config import Backend, Route, ServerConfig
from relgate.dialects import Intent
from relgate.dialects.jsonapi import atomic
from relgate.dialects.jsonapi.documents import DocumentReader, LidScope, ResourceInput
from relgate.dialects.jsonapi.duplicates import duplicate_members
from relgate.dialects.jsonapi.errors import Issues, error_object, invalid, method_not_allowed
from relgate.dialects.jsonapi.negotiation import check_accept, check_content_type, check_declared_content_type, content_type
from relgate.dialects.jsonapi.profile import ATOMIC_EXT, JSONAPI_1_1, JsonApiProfile
from relgate.dialects.jsonapi.query import COLLECTION, EMPTY_ARGS, NOTHING, SINGLE, QueryArgs, QueryParser
from relgate.dialects.jsonapi.rendering import DocumentWriter
from relgate.dialects.jsonapi.routes import Endpoint, Router, Urls
from relgate.dialects.jsonapi.writes import WriteBuilder
from relgate.dialects.wire import dumps, load_json, query_pairs
from relgate.model import (
    Batch,
    Delete,
    Get,
    GetLinkage,
    GetRelated,
    HttpRequest,
    HttpResponse,
    LinkageResult,
    List,
    One,
    Op,
    Outcome,
    ProblemError,
    ResourceList,
)
from relgate.schema import Schema

Shape = Literal["resource", "created", "collection", "linkage", "empty", "atomic"]

_BODY_METHODS = {
    "collection": {"POST"},
    "resource": {"PATCH"},
    "relationship": {"PATCH", "POST", "DELETE"},
    "operations": {"POST"},
}
"""Endpoints and methods whose request carries a document (others' bodies are ignored)."""


@dataclass(frozen=True, slots=True)
class Context:
    """How to answer a parsed request (the dialect-private half of an Intent)."""

    shape: Shape
    endpoint: Endpoint
    root: str
    self_url: str = ""
    index: int = 0
    """Which op's result is the primary data."""
    args: QueryArgs = EMPTY_ARGS
    status: int = 200
    plan: atomic.AtomicPlan | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Free for subclasses (Oro's ``meta.includeId``)."""


class JsonApiServer:
    """A JSON:API front door over one schema, configured by a :class:`JsonApiProfile`."""

    reject_duplicate_members = True
    """A member name repeated within one object of the request document is 400 (a subclass whose
    real server keeps the last one may turn this off)."""

    def __init__(self, schema: Schema, route: Route, server: ServerConfig, profile: JsonApiProfile = JSONAPI_1_1) -> None:
        profile.check()
        self.profile = profile.with_options(route.options)
        self.schema = schema
        self.route = route
        self.max_depth = server.max_json_depth
        self.limits = server
        """The server's limits of work per request (``max_atomic_operations``, ``max_included_resources``)."""
        self.router = Router(schema, self.profile)
        self.reader = DocumentReader(schema, self.profile)
        self.writer = DocumentWriter(schema, self.profile)
        self.queries = QueryParser(schema, self.profile.dialect, server)
        self.writes = WriteBuilder(route, self.profile)
        self.atomic = atomic.AtomicParser(self)
        schema.warm((self.profile.dialect,))

    def streams_to(self, backend: Backend) -> bool:
        """A backend of this dialect is streamed to untouched only when it needs no client options
        (a JSON:API 1.0 server with its own pages or totals is translated, not streamed)."""
        return not backend.options

    def covers(self, path: str) -> bool:
        """Whether ``path`` names one of this door's endpoints (a type of the schema, the operations URL).

        In front of a backend, a path it does not cover goes to the backend untouched.
        """
        if self.profile.atomic and path.rstrip("/") == self.profile.operations_path:
            return True
        return path.strip("/").split("/", 1)[0] in self.router.types

    # --- parse ---------------------------------------------------------------------------------

    def parse(self, request: HttpRequest) -> Intent:
        endpoint = self.router.match(request.path)
        method = request.method.upper()
        rel = endpoint.relationship
        if (
            endpoint.kind == "relationship"
            and method in ("POST", "DELETE")
            and rel is not None
            and not rel.many
            and self.profile.relationship_writes
            and self.profile.to_one_add_remove_status != 405
        ):
            raise ProblemError(self.writes.to_one_forbidden(rel, None, method))
        allowed = self.router.allowed(endpoint)
        if method not in allowed:
            raise method_not_allowed(method, allowed)
        supported = frozenset({ATOMIC_EXT}) if endpoint.kind == "operations" else frozenset()
        mode = self.profile.media_type_params
        check_accept(request, mode, supported)
        doc: Any = None
        takes_body = method in _BODY_METHODS.get(endpoint.kind, set())
        if takes_body:
            if not request.body.strip():
                raise ProblemError(invalid(None, "This request needs a JSON:API document in its body.", "Missing document"))
            check_content_type(request, mode, supported, supported)
            doc = load_json(request.body, max_depth=self.max_depth)
            if not isinstance(doc, Mapping):
                raise ProblemError(invalid((), "The request document must be a JSON object."))
            if self.reject_duplicate_members:
                self._check_duplicate_members(request.body)
        else:
            check_declared_content_type(request, mode, supported)
        pairs = query_pairs(request.query)
        root = self.root(request)
        handler = getattr(self, f"_{endpoint.kind}_{method.lower()}")
        return handler(request, endpoint, doc, pairs, root)

    def _check_duplicate_members(self, body: bytes) -> None:
        repeats = duplicate_members(body)
        if repeats:
            raise ProblemError(
                *(
                    invalid(path, f"The member '{path[-1]}' appears more than once in this object; which one is meant?", "Duplicate member")
                    for path in repeats
                )
            )

    def root(self, request: HttpRequest) -> str:
        """The URL of the front door, links are built from (``base`` when the app gives one)."""
        return request.base or self.route.prefix

    def _self(self, request: HttpRequest, root: str) -> str:
        return Urls(root, {}, "").path(request.path.rstrip("/") or "/", request.query)

    # collection ---------------------------------------------------------------------------------

    def _collection_get(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.type is not None
        args = self.queries.parse(pairs, ep.type, COLLECTION, paged=True)
        ctx = Context("collection", ep, root, self._self(request, root), args=args)
        return Intent(Batch((List(ep.type.name, args.query),)), ctx)

    def _collection_post(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.type is not None
        args = self.queries.parse(pairs, ep.type, SINGLE)
        issues = Issues()
        data = self._primary(doc, issues)
        lids = LidScope()
        res = self.reader.resource(data, ("data",), issues, rule="create", expected=ep.type, lids=lids) if data is not None else None
        extra = self.included_ops(doc, res, lids, issues)
        issues.raise_if_any()
        assert res is not None
        read_back = args.include_given or bool(args.query.fields) or bool(extra)
        plan = self.writes.create(res, need_ref=read_back)
        ops: list[Op] = [*plan.ops, *extra]
        if read_back or len(plan.ops) > 1:
            assert plan.ref is not None
            ops.append(Get(plan.ref, args.query))
        ctx = Context("created", ep, root, index=len(ops) - 1 if len(ops) > 1 else 0, args=args, status=201)
        return Intent(Batch(tuple(ops)), ctx)

    def included_ops(self, doc: Mapping[str, Any], primary: ResourceInput | None, lids: LidScope, issues: Issues) -> list[Op]:
        """Operations for a request's top-level ``included`` (base JSON:API: refused with 400).

        JSON:API defines no meaning for ``included`` in a request; silently dropping sideposted
        resources would lose data, so the codec says so.  Oro overrides this.
        """
        if "included" in doc:
            issues.add(
                invalid(
                    ("included",), "'included' is not supported in request documents; use Atomic Operations to create several resources."
                )
            )
        return []

    def _primary(self, doc: Mapping[str, Any], issues: Issues) -> Any:
        if "data" not in doc:
            issues.add(invalid((), "The request document needs a top-level 'data' member."))
            return None
        data = doc["data"]
        if not isinstance(data, Mapping):
            issues.add(invalid(("data",), "'data' must be a single resource object."))
            return None
        return data

    # resource -----------------------------------------------------------------------------------

    def _resource_get(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.type is not None
        args = self.queries.parse(pairs, ep.type, SINGLE)
        ctx = Context("resource", ep, root, self._self(request, root), args=args)
        return Intent(Batch((Get(ep.ref, args.query),)), ctx)

    def _resource_patch(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.type is not None
        args = self.queries.parse(pairs, ep.type, SINGLE)
        issues = Issues()
        data = self._primary(doc, issues)
        res = None
        if data is not None:
            res = self.reader.resource(data, ("data",), issues, rule="update", expected=ep.type, lids=None, expected_id=ep.id)
        extra = self.included_ops(doc, res, LidScope(), issues)
        update = self.writes.update(res, ep.ref, issues) if res is not None else None
        issues.raise_if_any()
        assert update is not None
        ops: list[Op] = [update, *extra]
        if self.profile.update_status == 204:
            return Intent(Batch(tuple(ops)), Context("empty", ep, root, status=204))
        if args.include_given or args.query.fields or extra:
            ops.append(Get(ep.ref, args.query))
        return Intent(Batch(tuple(ops)), Context("resource", ep, root, index=len(ops) - 1, args=args))

    def _resource_delete(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        self.queries.parse(pairs, ep.type, NOTHING)
        return Intent(Batch((Delete(ep.ref),)), Context("empty", ep, root, status=204))

    # related ------------------------------------------------------------------------------------

    def _related_get(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.relationship is not None
        rel = ep.relationship
        target = self.schema[rel.target]
        if rel.many:
            args = self.queries.parse(pairs, target, COLLECTION, paged=True)
            shape: Shape = "collection"
        else:
            args = self.queries.parse(pairs, target, SINGLE)
            shape = "resource"
        ctx = Context(shape, ep, root, self._self(request, root), args=args)
        return Intent(Batch((GetRelated(ep.ref, rel.name, args.query),)), ctx)

    # relationship -------------------------------------------------------------------------------

    def _relationship_get(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.type is not None and ep.relationship is not None
        args = self.queries.parse(pairs, ep.type, SINGLE, include_head=ep.relationship.name)
        ctx = Context("linkage", ep, root, args=args)
        return Intent(Batch((GetLinkage(ep.ref, ep.relationship.name, args.query),)), ctx)

    def _relationship_write(self, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str, method: str) -> Intent:
        assert ep.relationship is not None
        rel = ep.relationship
        self.queries.parse(pairs, ep.type, NOTHING)
        issues = Issues()
        if method == "DELETE" and not self.writes.may_remove(rel):
            raise ProblemError(self.writes.remove_forbidden(rel, None))
        if method == "PATCH" and rel.many and not self.writes.may_replace(rel):
            raise ProblemError(self.writes.replace_forbidden(rel, None))
        linkage = self.reader.relationship_document(doc, rel, issues, lids=None)
        issues.raise_if_any()
        at = ("data",)
        op: Op | None
        if method == "PATCH":
            op = self.writes.set_linkage(ep.ref, rel, linkage, at, issues)
        elif method == "POST":
            op = self.writes.add_members(ep.ref, rel, linkage, at)
        else:
            op = self.writes.remove_members(ep.ref, rel, linkage, at)
        issues.raise_if_any()
        assert op is not None
        if self.profile.relationship_update_status == 200:
            ops = (op, GetLinkage(ep.ref, rel.name))
            return Intent(Batch(ops), Context("linkage", ep, root, index=1))
        return Intent(Batch((op,)), Context("empty", ep, root, status=204))

    def _relationship_patch(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        return self._relationship_write(ep, doc, pairs, root, "PATCH")

    def _relationship_post(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        return self._relationship_write(ep, doc, pairs, root, "POST")

    def _relationship_delete(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        return self._relationship_write(ep, doc, pairs, root, "DELETE")

    # operations ---------------------------------------------------------------------------------

    def _operations_post(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        self.queries.parse(pairs, None, NOTHING)
        plan = self.atomic.parse(doc, root, request.header("host"))
        return Intent(Batch(plan.ops), Context("atomic", ep, root, plan=plan))

    # --- render --------------------------------------------------------------------------------

    def render(self, intent: Intent, outcome: Outcome) -> HttpResponse:
        ctx: Context = intent.context
        if ctx.shape == "empty":
            return self._response(204, None)
        if ctx.shape == "atomic":
            assert ctx.plan is not None
            body = atomic.render_results(self, ctx.plan, outcome, ctx.root)
            if body is None:
                return self._response(204, None)
            return self._response(200, body, ext=frozenset({ATOMIC_EXT}))
        urls = self.writer.urls(ctx.root)
        result = outcome.results[ctx.index]
        fields = ctx.args.query.fields
        doc: dict[str, Any] = {}
        headers: list[tuple[str, str]] = []
        if ctx.shape == "linkage":
            assert isinstance(result, LinkageResult) and ctx.endpoint.relationship is not None
            ep = ctx.endpoint
            assert ep.type is not None and ep.id is not None
            doc["links"] = {
                "self": urls.relationship(ep.type.name, ep.id, ep.relationship.name),
                "related": urls.related(ep.type.name, ep.id, ep.relationship.name),
            }
            doc["data"] = self.writer.linkage(result.linkage)
            if ctx.args.include_given:
                doc["included"] = self.writer.included(result.included, urls, fields)
        elif ctx.shape == "collection":
            assert isinstance(result, ResourceList)
            doc["links"] = self._page_links(ctx, result)
            doc["data"] = [self.writer.resource(r, urls, fields) for r in result.items]
            if ctx.args.include_given:
                doc["included"] = self.writer.included(result.included, urls, fields, result.items)
            if result.total is not None:
                doc["meta"] = {self.profile.total_meta: result.total}
        else:
            assert isinstance(result, One)
            item = result.item
            if ctx.self_url:
                doc["links"] = {"self": ctx.self_url}
            doc["data"] = self.writer.resource(item, urls, fields) if item is not None else None
            if ctx.args.include_given:
                doc["included"] = self.writer.included(result.included, urls, fields, (item,) if item is not None else ())
            if ctx.shape == "created" and item is not None:
                headers.append(("Location", urls.resource(item.type, item.id)))
        return self._response(ctx.status, doc, headers)

    def _page_links(self, ctx: Context, result: ResourceList) -> dict[str, Any]:
        links: dict[str, Any] = {"self": ctx.self_url}
        args = ctx.args
        if args.page_number is None or args.page_size is None:
            return links
        base = ctx.self_url.split("?", 1)[0]
        number, size = args.page_number, args.page_size
        last = max(1, -(-result.total // size)) if result.total is not None else None
        links["first"] = f"{base}?{args.page_query(1)}"
        links["last"] = f"{base}?{args.page_query(last)}" if last is not None else None
        links["prev"] = f"{base}?{args.page_query(number - 1)}" if number > 1 else None
        has_next = number < last if last is not None else len(result.items) == size
        links["next"] = f"{base}?{args.page_query(number + 1)}" if has_next else None
        return links

    def _response(
        self, status: int, doc: dict[str, Any] | None, headers: list[tuple[str, str]] | None = None, ext: frozenset[str] = frozenset()
    ) -> HttpResponse:
        out = [("Vary", "Accept"), *(headers or [])]
        if doc is None:
            return HttpResponse(status, tuple(out))
        if self.profile.version:
            doc = {"jsonapi": self.writer.jsonapi(ext), **doc}
        out.insert(0, ("Content-Type", content_type(ext)))
        return HttpResponse(status, tuple(out), dumps(doc))

    # --- errors --------------------------------------------------------------------------------

    def render_error(self, error: ProblemError, request: HttpRequest | None) -> HttpResponse:
        doc = self._request_document(request)
        objects = []
        for problem in error.problems:
            obj = error_object(problem, doc)
            if self.profile.shape_error is not None:
                obj = self.profile.shape_error(problem, obj)
            objects.append(obj)
        status = self.profile.error_status(error.problems) if self.profile.error_status is not None else error.status
        # error.headers (Allow of a 405) are added by the caller: the app appends them to every error response.
        return self._response(status, {"errors": objects})

    def _request_document(self, request: HttpRequest | None) -> Any:
        """The parsed request body, for pointers (None when there is none or it is not JSON)."""
        if request is None or not request.body.strip():
            return None
        try:
            return load_json(request.body, max_depth=self.max_depth)
        except ProblemError:
            return None
