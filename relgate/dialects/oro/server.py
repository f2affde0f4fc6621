"""The Oro server half: the JSON:API server with Oro's rules on top.

What is Oro's here, and what is delegated:

- media types: :func:`~relgate.dialects.oro.negotiation.is_jsonapi` decides (406/415 with Oro's
  messages); a request it accepts reaches the JSON:API parser without ``Accept`` (Oro also takes
  ``Accept: application/json`` with a JSON:API body);
- ``POST /{type}`` and ``PATCH /{type}/{id}``: the whole document (primary and ``included``) is
  planned by :class:`~relgate.dialects.oro.included.IncludedPlanner`;
- relationship endpoints: Oro's structural checks of the document, then the JSON:API handlers;
  POST/DELETE on a to-one is 405 (profile) and every ``Allow`` starts with ``OPTIONS``;
- ``OPTIONS`` on any endpoint: 200 with ``Allow``; ``DELETE /{type}`` with filters (Oro's
  delete_list);
- everything else (URLs, query parameters, reads) is the JSON:API server's, with Oro's documents
  (:mod:`~relgate.dialects.oro.rendering`) and error format (:mod:`~relgate.dialects.oro.errors`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from relgate.config import Route, ServerConfig
from relgate.dialects import Intent
from relgate.dialects.jsonapi import Context, Issues, JsonApiProfile, JsonApiServer
from relgate.dialects.jsonapi.query import SINGLE
from relgate.dialects.jsonapi.routes import Endpoint, Router
from relgate.dialects.oro.errors import FILTER, METHOD_NOT_ALLOWED, error_document, oro_problem
from relgate.dialects.oro.included import IncludedPlanner, WritePlan
from relgate.dialects.oro.negotiation import JSONAPI, is_jsonapi
from relgate.dialects.oro.profile import ORO
from relgate.dialects.oro.rendering import OroWriter
from relgate.dialects.oro.validation import check_relationship_document
from relgate.dialects.wire import dumps
from relgate.model import Batch, DeleteWhere, HttpRequest, HttpResponse, LinkageResult, One, Outcome, ProblemError, ResourceList
from relgate.schema import Schema

FILTERS_ONLY = frozenset({"filter"})


class OroRouter(Router):
    """The JSON:API URL layout plus Oro's ``DELETE /{type}`` (delete_list, filters required)."""

    def allowed(self, endpoint: Endpoint) -> tuple[str, ...]:
        if endpoint.kind == "collection":
            return ("GET", "POST", "DELETE")
        return super().allowed(endpoint)


class OroServer(JsonApiServer):
    def __init__(self, schema: Schema, route: Route, server: ServerConfig, profile: JsonApiProfile = ORO) -> None:
        super().__init__(schema, route, server, profile)
        self.router = OroRouter(schema, self.profile)
        self.planner = IncludedPlanner(schema, self.profile, self.writes, max_included=server.max_included_resources)
        self.oro = OroWriter(schema, self.profile.dialect)

    # --- parse ---------------------------------------------------------------------------------

    def parse(self, request: HttpRequest) -> Intent:
        if request.method.upper() == "OPTIONS":
            endpoint = self.router.match(request.path)
            return Intent(Batch(()), Context("empty", endpoint, self.root(request), extra={"allow": self._allow(endpoint)}))
        if is_jsonapi(request) and "accept" in request.headers:
            request = dataclasses.replace(request, headers={k: v for k, v in request.headers.items() if k != "accept"})
        try:
            intent = super().parse(request)
        except ProblemError as error:
            allow = error.headers.get("Allow")
            if allow is None:
                raise
            methods = f"OPTIONS, {allow}"
            detail = f'No route found for "{request.method.upper()} {request.base}{request.path}": Method Not Allowed (Allow: {methods})'
            raise ProblemError(
                oro_problem(METHOD_NOT_ALLOWED, detail, None, status=405, code="method-not-allowed"), headers={"Allow": methods}
            ) from None
        ctx: Context = intent.context
        if ctx.shape == "collection" and "totalcount" in (request.header("x-include") or "").lower().replace(" ", "").split(";"):
            intent = Intent(intent.batch, dataclasses.replace(ctx, extra={**ctx.extra, "total_count": True}))
        return intent

    def _allow(self, endpoint: Endpoint) -> str:
        return ", ".join(("OPTIONS", *self.router.allowed(endpoint)))

    def _collection_post(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.type is not None
        args = self.queries.parse(pairs, ep.type, SINGLE)
        plan = self.planner.plan(doc, ep.type, None, args.query, args.include_given or bool(args.query.fields))
        ctx = Context("created", ep, root, index=plan.primary, args=args, status=201, extra={"plan": plan})
        return Intent(Batch(plan.ops), ctx)

    def _resource_patch(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.type is not None
        args = self.queries.parse(pairs, ep.type, SINGLE)
        plan = self.planner.plan(doc, ep.type, ep.id, args.query, args.include_given or bool(args.query.fields))
        ctx = Context("resource", ep, root, index=plan.primary, args=args, status=200, extra={"plan": plan})
        return Intent(Batch(plan.ops), ctx)

    def _collection_delete(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        assert ep.type is not None
        args = self.queries.parse(pairs, ep.type, FILTERS_ONLY)
        if args.query.where is None:
            raise ProblemError(oro_problem(FILTER, "At least one filter must be provided.", None))
        return Intent(Batch((DeleteWhere(ep.type.name, args.query.where),)), Context("empty", ep, root, status=204))

    def _relationship_checked(self, ep: Endpoint, doc: Any) -> None:
        assert ep.relationship is not None
        issues = Issues()
        check_relationship_document(doc, issues, many=ep.relationship.many)
        issues.raise_if_any()

    def _relationship_patch(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        self._relationship_checked(ep, doc)
        return super()._relationship_patch(request, ep, doc, pairs, root)

    def _relationship_post(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        self._relationship_checked(ep, doc)
        return super()._relationship_post(request, ep, doc, pairs, root)

    def _relationship_delete(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        self._relationship_checked(ep, doc)
        return super()._relationship_delete(request, ep, doc, pairs, root)

    # --- render --------------------------------------------------------------------------------

    def render(self, intent: Intent, outcome: Outcome) -> HttpResponse:
        ctx: Context = intent.context
        if ctx.shape == "empty":
            allow = ctx.extra.get("allow")
            if allow is not None:
                return HttpResponse(200, (("Allow", allow),))
            return HttpResponse(204)
        fields = ctx.args.query.fields
        result = outcome.results[ctx.index]
        doc: dict[str, Any] = {}
        headers: list[tuple[str, str]] = []
        status = ctx.status
        if ctx.shape == "linkage":
            assert isinstance(result, LinkageResult)
            doc["data"] = self.oro.linkage(result.linkage)
            if ctx.args.include_given and result.included:
                doc["included"] = self.oro.included(result.included, fields)
        elif ctx.shape == "collection":
            assert isinstance(result, ResourceList)
            doc["data"] = [self.oro.resource(r, fields) for r in result.items]
            if ctx.args.include_given and result.included:
                doc["included"] = self.oro.included(result.included, fields, result.items)
            if ctx.extra.get("total_count") and result.total is not None:
                headers.append(("X-Include-Total-Count", str(result.total)))
        else:
            assert isinstance(result, One)
            item = result.item
            doc["data"] = self.oro.resource(item, fields) if item is not None else None
            plan: WritePlan | None = ctx.extra.get("plan")
            included: list[dict[str, Any]] = []
            shown = [item] if item is not None else []
            if plan is not None:
                for index, include_id in plan.included:
                    got = outcome.results[index]
                    assert isinstance(got, One) and got.item is not None
                    shown.append(got.item)
                    included.append(self.oro.resource(got.item, fields, {"includeId": include_id}))
                if plan.probe is not None:
                    probe = outcome.results[plan.probe]
                    assert isinstance(probe, ResourceList)
                    status = 200 if probe.items else 201
            if ctx.args.include_given:
                included += self.oro.included(result.included, fields, shown)
            if included:
                doc["included"] = included
        return self._oro_response(status, doc, headers)

    def _oro_response(self, status: int, doc: Mapping[str, Any], headers: list[tuple[str, str]] | None = None) -> HttpResponse:
        return HttpResponse(status, (("Content-Type", JSONAPI), *(headers or [])), dumps(doc))

    def render_error(self, error: ProblemError, request: HttpRequest | None) -> HttpResponse:
        # The app appends error.headers (the Allow of a 405) to every error response.
        status, doc = error_document(error.problems, self._request_document(request))
        return self._oro_response(status, doc)
