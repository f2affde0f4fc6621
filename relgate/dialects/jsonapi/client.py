"""The JSON:API client half: canonical ops -> requests to a JSON:API-shaped backend, and back.

One codec for every JSON:API-shaped backend, configured like the server half by a
:class:`~relgate.dialects.jsonapi.profile.JsonApiProfile` (JSON:API 1.1 or 1.0,
flask-restless-ng, Oro, DIDWW) plus a few settings only a client needs (``options`` of
``[backends.NAME]``):

- ``page = "number" | "offset"``: ``page[number]``/``page[size]`` (JSON:API's recommendation,
  Flask-Restless, DRF) or ``page[offset]``/``page[limit]``;
- ``total_meta = "total"``: where the backend's collection answers keep the number of matches
  (a dotted path: ``"pagination.count"`` for djangorestframework-jsonapi); or ``total_header``, a
  response header holding it, asked for by the ``count_request`` header (``"X-Include: totalCount"``
  and ``X-Include-Total-Count`` for Oro);
- ``filter = "jsonapi" | "restless" | "none"``: ``filter[path][op]=v`` as relgate's own door
  reads it, Flask-Restless's ``filter[objects]`` JSON, or no filtering at all;
- ``to_one_via_resource = true``: set and clear to-ones inside a resource ``PATCH`` rather than on
  the relationship URL (djangorestframework-jsonapi's relationship view can neither clear a to-one
  nor set one that is null);
- ``ext``: extension URIs to name in the media type (only for backends configured for them:
  flask-restless-ng answers 415 to any ``Content-Type`` parameter; djangorestframework-jsonapi
  ignores them — both observed on the real servers, tests/backends).

Every op is an :data:`~relgate.dialects.client.Exchange` (see :mod:`relgate.dialects.client`).
Reads are translated into the backend's query parameters; a page that does not fall on the
backend's page boundaries is read as two backend pages and cut.  Relationship writes go to
relationship URLs where the profile has them, otherwise into a resource ``PATCH`` with the full
linkage (read, then write: DIDWW).  Ids the backend assigns come back in the results; links
are the caller's to render, so they point at relgate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from relgate.capabilities import Capabilities, missing
from relgate.config import Backend
from relgate.dialects.client import Exchange, bad_answer, distinct_resources
from relgate.dialects.jsonapi.answers import AnswerReader
from relgate.dialects.jsonapi.filters_out import filter_pairs
from relgate.dialects.jsonapi.profile import ATOMIC_EXT, JSONAPI_1_1, JsonApiProfile
from relgate.dialects.jsonapi.rendering import LinkageWriter
from relgate.dialects.restless_filters import Catalog, FilterWriter
from relgate.dialects.wire import dumps
from relgate.model import (
    Add,
    Aggregate,
    And,
    Cmp,
    Create,
    Delete,
    DeleteWhere,
    Filter,
    Get,
    GetLinkage,
    GetRelated,
    HttpRequest,
    HttpResponse,
    Ident,
    Linkage,
    LinkageResult,
    List,
    One,
    Op,
    Page,
    Path,
    Problem,
    ProblemError,
    Query,
    Remove,
    Replace,
    Resource,
    ResourceList,
    SetOne,
    Update,
    UpdateWhere,
    Upsert,
)
from relgate.ops import distinct
from relgate.schema import Relationship, Schema, render_attribute

MEDIA = "application/vnd.api+json"
CLIENT_OPTIONS = frozenset(
    {"page", "total_meta", "total_header", "count_request", "filter", "ext", "max_page_size", "keeps_order", "to_one_via_resource",
     "include"}
)
"""``options`` keys the client half reads itself; every other key is a profile field."""


def door_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A backend's ``options`` less the client half's own: what a front door of its profile takes."""
    return {k: v for k, v in options.items() if k not in CLIENT_OPTIONS}

JSONAPI_FILTER_OPS = frozenset(
    {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "like", "ilike", "contains", "icontains",
     "startswith", "istartswith", "endswith", "iendswith", "is_null", "is_not_null", "between"}
)  # fmt: skip
RESTLESS_FILTER_OPS = frozenset(
    {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "like", "ilike", "is_null", "is_not_null", "between",
     "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
)  # fmt: skip


class JsonApiClient:
    """The client half for one JSON:API-shaped backend (everything compiled once)."""

    def __init__(self, schema: Schema, backend: Backend, profile: JsonApiProfile, *, defaults: Mapping[str, Any] | None = None) -> None:
        options = {**(defaults or {}), **backend.options}
        own = {k: options.pop(k) for k in list(options) if k in CLIENT_OPTIONS}
        self.schema = schema
        self.backend = backend
        self.name = backend.name
        self.profile = profile.with_options(options)
        self.page_style: str = own.get("page", "number")
        if self.page_style not in ("number", "offset"):
            raise ValueError("option 'page' must be 'number' or 'offset'")
        self.filter_style: str = own.get("filter", "jsonapi")
        if self.filter_style not in ("jsonapi", "restless", "none"):
            raise ValueError("option 'filter' must be 'jsonapi', 'restless' or 'none'")
        total = own.get("total_meta", self.profile.total_meta)
        if not isinstance(total, str) or not total:
            raise ValueError("option 'total_meta' must be a dotted path such as 'total' or 'pagination.count'")
        self.max_page_size: int = own.get("max_page_size", 100)
        self.to_one_via_resource = bool(own.get("to_one_via_resource", False))
        self.include = own.get("include", True)
        if not isinstance(self.include, bool):
            raise ValueError("option 'include' must be true or false (false: the backend has no compound documents)")
        self.total_header: str | None = own.get("total_header")
        count_request = own.get("count_request")
        self.count_request: tuple[str, str] | None = None
        if count_request is not None:
            name, sep, value = str(count_request).partition(":")
            if not sep:
                raise ValueError("option 'count_request' must be a header as 'Name: value'")
            self.count_request = (name.strip().lower(), value.strip())
        ext = own.get("ext", [])
        if not isinstance(ext, list) or not all(isinstance(e, str) for e in ext):
            raise ValueError("option 'ext' must be an array of extension URIs")
        media = MEDIA + (f'; ext="{" ".join(ext)}"' if ext else "")
        self.headers = {"accept": media, "content-type": media}
        self.names = {t.name: t.name_in(self.profile.dialect) for t in schema.types.values()}
        self.linkage_writer = LinkageWriter(schema, self.profile.dialect)
        self.reader = AnswerReader(schema, self.profile, backend.name, tuple(total.split(".")))
        self.segment = self.profile.relationship_segments[0]
        self.restless_filters = FilterWriter(
            Catalog(schema, self.profile.dialect), lambda what, at: ProblemError(missing(backend.name, what, at=at)), not_like=True
        )
        self.capabilities = Capabilities(
            relationship_reads=self.profile.relationship_reads,
            relationship_writes=self.profile.relationship_writes,
            keeps_order=bool(own.get("keeps_order", False)),
            include=self.include,
            atomic=ATOMIC_EXT in ext,
            lid=self.profile.lid and self.profile.version == "1.1",
            client_ids=self.profile.client_id_styles,
            filter_ops={"jsonapi": JSONAPI_FILTER_OPS, "restless": RESTLESS_FILTER_OPS, "none": frozenset()}[self.filter_style],
            related_filters=self.filter_style != "none",
            compound_filters=self.filter_style == "restless",
            field_comparisons=self.filter_style == "restless",
            page=self.page_style,  # type: ignore[arg-type]
            replace_default=self.profile.replace_default,
            remove_default=self.profile.remove_default,
        )
        self._exchanges: dict[type, Callable[[Any], Exchange]] = {
            Get: self._get, List: self._list, GetRelated: self._get_related, GetLinkage: self._get_linkage,
            Create: self._create, Update: self._update, Upsert: self._upsert, Delete: self._delete,
            SetOne: self._set_one, Replace: self._replace, Add: self._add, Remove: self._remove,
        }  # fmt: skip

    def exchange(self, op: Op) -> Exchange:
        handler = self._exchanges.get(type(op))
        if handler is None:
            raise ProblemError(missing(self.name, _WHAT.get(type(op), "carry out this operation"), at=getattr(op, "at", None) or None))
        return handler(op)

    # --- requests ----------------------------------------------------------------------------

    def _path(self, type_name: str, id_: str | None = None, *rest: str) -> str:
        path = "/" + self.names[type_name]
        if id_ is not None:
            path += "/" + quote(id_, safe="")
        for part in rest:
            path += "/" + part
        return path

    def _request(
        self, method: str, path: str, pairs: list[tuple[str, str]] | None = None, body: Any = None, *, counted: bool = False
    ) -> HttpRequest:
        query = urlencode(pairs, quote_via=quote, safe=",.-[]") if pairs else ""
        headers = dict(self.headers)
        if body is None:
            headers.pop("content-type")
        if counted and self.count_request is not None:
            headers[self.count_request[0]] = self.count_request[1]
        return HttpRequest(method, path, query, headers, b"" if body is None else dumps(body))

    def _total(self, response: HttpResponse, doc: Mapping[str, Any]) -> int | None:
        if self.total_header is None:
            return self.reader.total(doc)
        wanted = self.total_header.lower()
        value = next((v for k, v in response.headers if k.lower() == wanted), None)
        return int(value) if value is not None and value.isdigit() else None

    def _query(self, type_name: str, query: Query, *, collection: bool) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if query.include:
            pairs.append(("include", ",".join(".".join(p) for p in query.include)))
        for t, names in sorted(query.fields.items()):
            pairs.append((f"fields[{self.names[t]}]", ",".join(sorted(names))))
        if not collection:
            return pairs
        if query.sort:
            pairs.append(("sort", ",".join(("-" if k.descending else "") + ".".join(k.path) for k in query.sort)))
        pairs += self._filters(type_name, query)
        return pairs

    def _filters(self, type_name: str, query: Query) -> list[tuple[str, str]]:
        if query.where is None:
            return []
        if self.filter_style == "none":
            raise ProblemError(missing(self.name, "filter collections", at=getattr(query.where, "at", None) or None))
        if self.filter_style == "restless":
            objects = self.restless_filters.objects(self.restless_filters.catalog.of(type_name), query.where)
            return [("filter[objects]", dumps(objects).decode())]
        return filter_pairs(query.where, self.name)

    def _page_pairs(self, offset: int, limit: int) -> list[tuple[str, str]]:
        if self.page_style == "offset":
            return [("page[offset]", str(offset)), ("page[limit]", str(limit))]
        return [("page[number]", str(offset // limit + 1)), ("page[size]", str(limit))]

    def resource_object(self, type_name: str, id_: str | None, attributes: Mapping[str, Any], relationships: Mapping[str, Linkage]) -> dict:
        rtype = self.schema[type_name]
        obj: dict[str, Any] = {"type": self.names[type_name]}
        if id_ is not None:
            obj["id"] = id_
        if attributes:
            obj["attributes"] = {name: render_attribute(rtype.attributes[name].kind, v) for name, v in attributes.items()}
        if relationships:
            obj["relationships"] = {name: {"data": self.linkage_writer.linkage(v)} for name, v in relationships.items()}
        return obj

    # --- answers -----------------------------------------------------------------------------

    def _ok(self, response: HttpResponse, at: Path, *expected: int) -> None:
        if response.status not in expected:
            raise self.reader.failure(response, at)

    def _document(self, response: HttpResponse, at: Path) -> Mapping[str, Any]:
        self._ok(response, at, 200, 201)
        return self.reader.document(response)

    def _one(self, response: HttpResponse, at: Path) -> One:
        doc = self._document(response, at)
        data = doc["data"]
        return One(None if data is None else self.reader.resource(data), self.reader.included(doc))

    # --- reads -------------------------------------------------------------------------------

    def _get(self, op: Get) -> Exchange:
        response = yield self._request("GET", self._path(op.ref.type, op.ref.id), self._query(op.ref.type, op.query, collection=False))
        return self._one(response, op.at)

    def _list(self, op: List) -> Exchange:
        return (yield from self._collection(self._path(op.type), op.type, op.query, op.at))

    def _get_related(self, op: GetRelated) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        path = self._path(op.ref.type, op.ref.id, op.relationship)
        if rel.many:
            return (yield from self._collection(path, rel.target, op.query, op.at))
        response = yield self._request("GET", path, self._query(rel.target, op.query, collection=False))
        return self._one(response, op.at)

    def _collection(self, path: str, type_name: str, query: Query, at: Path) -> Exchange:
        """A collection read as the caller asked, whatever the backend's own paging.

        Unpaged, every page the backend links to (``links.next``) is read on, so a backend's
        default page size does not cut the answer; paged, the backend's pages (at most
        ``max_page_size``) are read from the one holding ``offset`` on until ``limit`` resources
        are in hand or a page comes back short.
        """
        pairs = self._query(type_name, query, collection=True)
        page = query.page
        items: list[Resource] = []
        included: list[Resource] = []
        if page is None or page.limit is None:
            request = self._request("GET", path, pairs, counted=query.count)
            total = None
            while True:
                response = yield request
                doc = self._document(response, at)
                items.extend(self.reader.resources(doc["data"]))
                included.extend(self.reader.included(doc))
                total = self._total(response, doc) if query.count else None
                following = self._next(doc, len(items))
                if following is None:
                    break
                request = dataclasses.replace(self._request("GET", following[0], counted=query.count), query=following[1])
            return ResourceList(tuple(items), total, distinct_resources(included))
        size = min(page.limit, self.max_page_size)
        start = page.offset if self.page_style == "offset" else page.offset // size * size
        skip = page.offset - start
        total = None
        while True:
            response = yield self._request("GET", path, pairs + self._page_pairs(start, size), counted=query.count)
            doc = self._document(response, at)
            got = self.reader.resources(doc["data"])
            items.extend(got)
            included.extend(self.reader.included(doc))
            total = self._total(response, doc)
            start += size
            if len(got) < size or len(got) > size or len(items) - skip >= page.limit:
                break  # a short page is the last; a longer one means the backend ignores paging
        return ResourceList(tuple(items[skip : skip + page.limit]), total, distinct_resources(included))

    def _next(self, doc: Mapping[str, Any], read: int) -> tuple[str, str] | None:
        """The path and query of the backend's next page (``links.next`` rebased onto its API root), if any."""
        links = doc.get("links")
        link = links.get("next") if isinstance(links, Mapping) else None
        if isinstance(link, Mapping):
            link = link.get("href")
        if not isinstance(link, str) or not link or read >= MAX_READ_ON:
            return None
        parts = urlsplit(link)
        root = urlsplit(self.backend.url).path.rstrip("/")
        if not parts.path.startswith(root + "/"):
            raise bad_answer(self.name, f"its links.next ({link}) is not under its API root")
        return parts.path[len(root) :], parts.query

    def _get_linkage(self, op: GetLinkage) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        if self.profile.relationship_reads:
            path = self._path(op.ref.type, op.ref.id, self.segment, op.relationship)
            response = yield self._request("GET", path, self._query(op.ref.type, op.query, collection=False))
            doc = self._document(response, op.at)
            return LinkageResult(self.reader.linkage(rel, doc["data"]), self.reader.included(doc))
        linkage, included = yield from self._read_linkage(op.ref, rel, op.at, op.query.include)
        return LinkageResult(linkage, included)

    def _read_linkage(self, ref: Ident, rel: Relationship, at: Path, include: tuple[tuple[str, ...], ...] = ()) -> Exchange:
        """A relationship's linkage read through the resource (for backends without relationship URLs)."""
        paths = {(rel.name,), *include}
        pairs = [(f"fields[{self.names[ref.type]}]", rel.name)]
        if self.include:  # some backends send a to-many's linkage only when it is included
            pairs.insert(0, ("include", ",".join(sorted(".".join(p) for p in paths))))
        response = yield self._request("GET", self._path(ref.type, ref.id), pairs)
        one = self._one(response, at)
        if one.item is None or rel.name not in one.item.relationships:
            raise bad_answer(self.name, f"the resource came back without the linkage of '{rel.name}'")
        return one.item.relationships[rel.name], one.included if include else ()  # type: ignore[return-value]

    # --- writes ------------------------------------------------------------------------------

    def _create(self, op: Create) -> Exchange:
        client_id = op.ref.id if op.ref is not None else None
        body = {"data": self.resource_object(op.type, client_id, op.attributes, op.relationships)}
        response = yield self._request("POST", self._path(op.type), body=body)
        if response.status == 204 and client_id is not None:
            if not op.returning:
                return None
            response = yield self._request("GET", self._path(op.type, client_id))
        return self._one(response, op.at)

    def _update(self, op: Update) -> Exchange:
        assert op.ref.id is not None
        body = {"data": self.resource_object(op.ref.type, op.ref.id, op.attributes, op.relationships)}
        response = yield self._request("PATCH", self._path(op.ref.type, op.ref.id), body=body)
        if response.status == 204:
            if not op.returning:
                return None
            response = yield self._request("GET", self._path(op.ref.type, op.ref.id))
        one = self._one(response, op.at)
        return one if op.returning else None

    def _upsert(self, op: Upsert) -> Exchange:
        """Find by the keys (one read), then update or create: the backend has no upsert."""
        found: Resource | None = None
        if op.keys == ("id",):
            if op.ref is not None and op.ref.id is not None:
                response = yield self._request("GET", self._path(op.type, op.ref.id))
                if response.status != 404:
                    found = self._one(response, op.at).item
        else:
            where = tuple(_eq(k, op.attributes.get(k)) for k in op.keys)
            query = Query(where=where[0] if len(where) == 1 else And(where), page=Page(0, 2))
            listed = yield from self._collection(self._path(op.type), op.type, query, op.at)
            if len(listed.items) > 1:
                raise ProblemError(Problem(409, "conflict", "Conflict", "The upsert keys match more than one resource.", at=op.at))
            found = listed.items[0] if listed.items else None
        if found is None:
            create = Create(op.ref if op.ref and op.ref.id else None, op.type, op.attributes, op.relationships, op.at, op.returning)
            return (yield from self._create(create))
        return (yield from self._update(Update(found.ident, op.attributes, op.relationships, op.at, op.returning)))

    def _delete(self, op: Delete) -> Exchange:
        response = yield self._request("DELETE", self._path(op.ref.type, op.ref.id))
        self._ok(response, op.at, 200, 202, 204)
        return None

    def _relationship_write(self, method: str, ref: Ident, rel: Relationship, data: Linkage, at: Path) -> Exchange:
        path = self._path(ref.type, ref.id, self.segment, rel.name)
        response = yield self._request(method, path, body={"data": self.linkage_writer.linkage(data)})
        self._ok(response, at, 200, 202, 204)
        return None

    def _inline(self, ref: Ident, rel: Relationship, data: Linkage, at: Path) -> Exchange:
        body = {"data": self.resource_object(ref.type, ref.id, {}, {rel.name: data})}
        response = yield self._request("PATCH", self._path(ref.type, ref.id), body=body)
        self._ok(response, at, 200, 202, 204)
        return None

    def _set_one(self, op: SetOne) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        if self.profile.relationship_writes and not self.to_one_via_resource:
            return (yield from self._relationship_write("PATCH", op.ref, rel, op.target, op.at))
        return (yield from self._inline(op.ref, rel, op.target, op.at))

    def _replace(self, op: Replace) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        if self.profile.relationship_writes:
            return (yield from self._relationship_write("PATCH", op.ref, rel, op.targets, op.at))
        return (yield from self._inline(op.ref, rel, op.targets, op.at))

    def _add(self, op: Add) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        if not rel.many:
            return (yield from self._set_one(SetOne(op.ref, op.relationship, op.targets[-1] if op.targets else None, op.at)))
        if self.profile.relationship_writes:
            return (yield from self._relationship_write("POST", op.ref, rel, op.targets, op.at))
        current, _ = yield from self._read_linkage(op.ref, rel, op.at)
        present = {i.key for i in current}
        new = tuple(current) + tuple(t for t in distinct(op.targets) if t.key not in present)
        if len(new) == len(current):
            return None
        return (yield from self._inline(op.ref, rel, new, op.at))

    def _remove(self, op: Remove) -> Exchange:
        if not op.delete_targets:
            return (yield from self._unlink(op))
        # 0.17's {"remove": [{"id": 1, "__delete__": true}]}: unlink, then delete what was a member
        rel = self.schema[op.ref.type].relationships[op.relationship]
        current, _ = yield from self._read_linkage_any(op.ref, rel, op.at)
        members = current if isinstance(current, tuple) else (() if current is None else (current,))
        keys = {i.key for i in members}
        yield from self._unlink(op)
        for target in distinct(op.targets):
            if target.key in keys:
                yield from self._delete(Delete(target, op.at))
        return None

    def _unlink(self, op: Remove) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        current: Linkage = None
        if op.require_present or not rel.many or not self.profile.relationship_writes:
            current, _ = yield from self._read_linkage_any(op.ref, rel, op.at)
            members = current if isinstance(current, tuple) else (() if current is None else (current,))
            keys = {i.key for i in members}
            absent = [t for t in op.targets if t.key not in keys]
            if op.require_present and absent:
                raise ProblemError(
                    *(Problem(400, "invalid", "Not a member", f"'{t.type}' {t.id} is not related through '{rel.name}'.", at=t.at or None)
                      for t in absent)
                )  # fmt: skip
            if not rel.many:
                if members and not absent:
                    return (yield from self._set_one(SetOne(op.ref, rel.name, None, op.at)))
                return None
        if self.profile.relationship_writes:
            return (yield from self._relationship_write("DELETE", op.ref, rel, op.targets, op.at))
        drop = {t.key for t in op.targets}
        assert isinstance(current, tuple)
        kept = tuple(i for i in current if i.key not in drop)
        if len(kept) == len(current):
            return None
        return (yield from self._inline(op.ref, rel, kept, op.at))

    def _read_linkage_any(self, ref: Ident, rel: Relationship, at: Path) -> Exchange:
        if self.profile.relationship_reads:
            path = self._path(ref.type, ref.id, self.segment, rel.name)
            response = yield self._request("GET", path)
            doc = self._document(response, at)
            return self.reader.linkage(rel, doc["data"]), ()
        return (yield from self._read_linkage(ref, rel, at))


_WHAT: dict[type, str] = {
    UpdateWhere: "update every resource matching a filter in one request",
    DeleteWhere: "delete every resource matching a filter in one request",
    Aggregate: "compute aggregate functions",
}


MAX_READ_ON = 100_000
"""An unpaged read follows the backend's pages up to this many resources (a runaway ``next`` chain stops)."""


def _eq(field: str, value: Any) -> Filter:
    return Cmp(field, "eq", value) if value is not None else Cmp(field, "is_null")




def client(schema: Schema, backend: Backend) -> JsonApiClient:
    """The client half for a ``jsonapi`` backend (JSON:API 1.1 rules; options may say 1.0)."""
    return JsonApiClient(schema, backend, JSONAPI_1_1)

