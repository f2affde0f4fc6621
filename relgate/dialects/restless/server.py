"""The Flask-Restless 1.0 front door: the JSON:API server with the restless profile, plus the
few request-handling rules of flask-restless-ng that are not document format.

- ``GET /{collection}/{id}/{to-many}/{related_id}``: one member of a to-many relationship
  (404 when it is not a member), an NG endpoint JSON:API does not have.
- ``DELETE`` on a relationship URL: the policy check comes before the body is looked at (a
  forbidden removal is 403 whatever the body), and its ``Content-Type`` is not checked (NG
  checks it for POST and PATCH only), so ``requests.delete(url, json=...)`` works.
- ``PATCH /{collection}/{id}`` whose ``data.id`` is a JSON number: 409, as NG compares the id
  with the URL segment as a string (linkage ids may be numbers; the primary id may not).
- ``POST``/``PATCH``/``DELETE`` on ``/{collection}/{id}/{anything}``: 405 (NG routes it for GET only).
- The 403s of the two flags carry NG's exact wording (the profile's error shape), relgate's
  explanation naming the relationship in ``meta.detail``.
- Collections and to-many related collections take NG's ``filter[objects]`` and ``sort=0``
  (:mod:`relgate.dialects.restless.query`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from relgate.config import Route, ServerConfig
from relgate.dialects import Intent
from relgate.dialects.jsonapi import Context, JsonApiProfile, JsonApiServer
from relgate.dialects.jsonapi.errors import forbidden, method_not_allowed, not_found
from relgate.dialects.jsonapi.negotiation import JSONAPI_MEDIA_TYPE, check_accept, parse_media_type, split_header_list
from relgate.dialects.jsonapi.query import SINGLE
from relgate.dialects.jsonapi.routes import Endpoint
from relgate.dialects.jsonapi.writes import WriteBuilder
from relgate.dialects.restless.query import RestlessQueryParser
from relgate.dialects.wire import query_pairs
from relgate.model import (
    Batch,
    Cmp,
    Get,
    GetRelated,
    HttpRequest,
    HttpResponse,
    One,
    Outcome,
    Path,
    Problem,
    ProblemError,
    Query,
    Remove,
    ResourceList,
)
from relgate.schema import Relationship, Schema, parse_id

RELATED_ID = "related_id"
"""``Context.extra`` key: the request named one member of a to-many (``/person/1/computers/2``)."""


class ParseProblem(ProblemError):
    """A problem found while parsing (its details already use the dialect's type names)."""


class RestlessWrites(WriteBuilder):
    """The shared write rules, explained with the dialect's names (NG's fixed 403 texts are put
    in ``detail`` by :func:`~relgate.dialects.restless.profile.shape_error`, these in ``meta``)."""

    def __init__(self, route: Route, profile: JsonApiProfile, names: Mapping[str, str]) -> None:
        super().__init__(route, profile)
        self.names = names
        """Canonical type name -> the dialect's collection name."""

    def _label(self, rel: Relationship) -> str:
        return f"'{rel.name}' of '{self.names.get(rel.owner, rel.owner)}'"

    def replace_forbidden(self, rel: Relationship, at: Path | None) -> Problem:
        return forbidden(
            at,
            f"{self._label(rel)} cannot be replaced as a whole on this API; add or remove members instead.",
            code="replace-forbidden",
            title="Full replacement not allowed",
        )

    def remove_forbidden(self, rel: Relationship, at: Path | None) -> Problem:
        return forbidden(
            at,
            f"Members cannot be removed from {self._label(rel)} on this API.",
            code="remove-forbidden",
            title="Removal not allowed",
        )


class RestlessServer(JsonApiServer):
    def __init__(self, schema: Schema, route: Route, server: ServerConfig, profile: JsonApiProfile) -> None:
        super().__init__(schema, route, server, profile)
        self.queries = RestlessQueryParser(schema, self.profile.dialect, server)
        names = {t.name: t.name_in(self.profile.dialect) for t in schema.types.values()}
        self.writes = RestlessWrites(route, self.profile, names)
        renamed = sorted((n for n, d in names.items() if n != d), key=len, reverse=True)
        # The store quotes canonical names: "type 'people'", "Another 'people'", "'people' has",
        # "'people.articles'".  Only those positions are renamed, never a quoted value.
        self._canonical = re.compile(rf"(^|type |Another )'({'|'.join(map(re.escape, renamed))})(?=['.])") if renamed else None

    # --- parse ---------------------------------------------------------------------------------

    def parse(self, request: HttpRequest) -> Intent:
        try:
            return self._parse(request)
        except ProblemError as error:
            raise ParseProblem(*error.problems, headers=error.headers) from None

    def _parse(self, request: HttpRequest) -> Intent:
        request = _lenient_accept(request)
        parts = _segments(request.path)
        if len(parts) == 3 and request.method.upper() != "GET" and parts[0] in self.router.types:
            # NG routes /{collection}/{id}/{relation} for GET only: any other method is 405 before
            # the relation is looked up (``POST /person/1/relationships`` included).
            raise method_not_allowed(request.method.upper(), ("GET",))
        if len(parts) == 4 and parts[2] not in self.router.segments:
            return self._related_member(request, parts)
        if request.method.upper() == "DELETE":
            endpoint = self.router.match(request.path)
            rel = endpoint.relationship
            if endpoint.kind == "relationship" and rel is not None and rel.many:
                check_accept(request, self.profile.media_type_params, frozenset())
                if not self.writes.may_remove(rel):
                    raise ProblemError(self.writes.remove_forbidden(rel, None))
                if request.body.strip():
                    headers = {**request.headers, "content-type": JSONAPI_MEDIA_TYPE}
                    request = dataclasses.replace(request, headers=headers)
        return super().parse(request)

    def _related_member(self, request: HttpRequest, parts: list[str]) -> Intent:
        """``GET /{collection}/{id}/{relationship}/{related_id}`` (NG ``API._get_related_resource``)."""
        rtype = self.router.types.get(parts[0])
        if rtype is None:
            raise not_found(f"There is no resource type '{parts[0]}'.")
        id_ = parse_id(rtype.id_style, parts[1])
        if id_ is None:
            raise not_found(f"'{parts[1]}' is not a valid id for '{parts[0]}' ({rtype.id_style} ids), so there is no such resource.")
        rel = rtype.relationships.get(parts[2])
        if rel is None:
            raise not_found(f"'{parts[0]}' has no relationship '{parts[2]}'.", title="Relationship not found")
        if not rel.many:
            raise not_found(f"'{parts[2]}' is a to-one relationship: a related resource cannot be accessed by id.")
        target = self.schema[rel.target]
        related_id = parse_id(target.id_style, parts[3])
        if related_id is None:
            raise not_found(f"No related resource with id '{parts[3]}' in '{parts[2]}'.")
        if request.method.upper() != "GET":
            raise method_not_allowed(request.method.upper(), ("GET",))
        check_accept(request, self.profile.media_type_params, frozenset())
        args = self.queries.parse(query_pairs(request.query), target, SINGLE)
        query = Query(where=Cmp("id", "eq", related_id), include=args.query.include, fields=args.query.fields)
        endpoint = Endpoint("related", rtype, id_, rel)
        root = self.root(request)
        ctx = Context("resource", endpoint, root, self._self(request, root), args=args, extra={RELATED_ID: related_id})
        return Intent(Batch((GetRelated(endpoint.ref, rel.name, query),)), ctx)

    def _resource_patch(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        data = doc.get("data") if isinstance(doc, Mapping) else None
        raw = data.get("id") if isinstance(data, Mapping) else None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raise ProblemError(
                Problem(
                    409,
                    "id-mismatch",
                    "Id does not match",
                    f"ID must be the string '{ep.id}', not the number {raw}.",
                    at=("data", "id"),
                )
            )
        return super()._resource_patch(request, ep, doc, pairs, root)

    def _relationship_delete(self, request: HttpRequest, ep: Endpoint, doc: Any, pairs: list[tuple[str, str]], root: str) -> Intent:
        """Removal, after checking that every named resource exists (NG: 404 for an unknown id;
        the store's Remove silently skips non-members, existing or not)."""
        intent = super()._relationship_delete(request, ep, doc, pairs, root)
        (remove,) = intent.batch.ops
        assert isinstance(remove, Remove)
        checks = tuple(Get(t, Query(fields={t.type: frozenset()}), at=t.at) for t in remove.targets)
        return Intent(Batch((*checks, remove)), intent.context)

    # --- render --------------------------------------------------------------------------------

    def render(self, intent: Intent, outcome: Outcome) -> HttpResponse:
        ctx: Context = intent.context
        related_id = ctx.extra.get(RELATED_ID) if ctx.extra else None
        if related_id is None:
            return super().render(intent, outcome)
        result = outcome.results[0]
        assert isinstance(result, ResourceList) and ctx.endpoint.relationship is not None
        if not result.items:
            rel = ctx.endpoint.relationship.name
            return self.render_error(not_found(f"No related resource with id '{related_id}' in '{rel}'."), None)
        one = Outcome((One(result.items[0], result.included),), outcome.lids)
        return super().render(Intent(intent.batch, dataclasses.replace(ctx, extra={})), one)

    def render_error(self, error: ProblemError, request: HttpRequest | None) -> HttpResponse:
        """Errors in NG's shape; type names the store quotes canonically get the dialect's names
        (the codec's own problems already use them, and may quote a name the client sent)."""
        if self._canonical is not None and not isinstance(error, ParseProblem):
            problems = tuple(dataclasses.replace(p, detail=self._rename(p.detail)) if p.detail else p for p in error.problems)
            error = ProblemError(*problems, headers=error.headers)
        return super().render_error(error, request)

    def _rename(self, detail: str) -> str:
        assert self._canonical is not None
        return self._canonical.sub(lambda m: f"{m.group(1)}'{self.writes.names[m.group(2)]}", detail)


def _lenient_accept(request: HttpRequest) -> HttpRequest:
    """``request`` with media type parameters other than ``q`` dropped from JSON:API ranges in
    ``Accept``: NG only looks for ``q`` there (``parse_accept_header``), so a client sending
    ``Accept: application/vnd.api+json; charset=utf-8`` works against it and must here too."""
    raw = request.header("accept")
    if raw is None or ";" not in raw or JSONAPI_MEDIA_TYPE not in raw.lower():
        return request
    items = []
    for item in split_header_list(raw):
        media = parse_media_type(item)
        if media is not None and media.essence == JSONAPI_MEDIA_TYPE:
            item = media.essence + "".join(f";{k}={v}" for k, v in media.params if k == "q")
        items.append(item)
    return dataclasses.replace(request, headers={**request.headers, "accept": ", ".join(items)})


def _segments(path: str) -> list[str]:
    trimmed = path.strip("/")
    return trimmed.split("/") if trimmed else []
