"""The Flask-Restless 0.17 client half: canonical ops -> requests to a 0.17 backend, and back.

What is translated how (reference: ``flask-restless.md`` Part A1):

- reads: ``GET /person/1``; collections ``GET /person?q={"filters", "order_by"}&page=&results_per_page=``
  (the ``q`` filters written by :class:`~relgate.dialects.restless_filters.FilterWriter`, the writer
  beside the parser the server half reads ``q`` with); totals from ``num_results``; the caller's
  offset and limit mapped onto 0.17's page numbers — a page that does not line up is read as two
  backend pages and cut.  ``GET /person/1/computers`` for the members of a to-many, and — 0.17 has
  no relationship URLs — linkage from the resource itself, whose representation carries every
  related object one level deep: includes of one level come from there, deeper ones by reading the
  related resources.  Sparse fields are cut here (0.17 always sends every column).
- writes: ``POST /person`` with the linkage as nested ``{"id": …}`` objects; ``PATCH /person/1``
  with a list (replace), ``{"add": […]}`` / ``{"remove": […]}`` (``__delete__`` for a Remove that
  deletes its targets), ``{"owner": {"id": 1}}`` or ``null``; bulk ``PATCH``/``DELETE /person`` with
  ``q`` (counts from ``num_modified`` / ``num_deleted``); ``/eval/person`` for aggregates.
- 0.17's nested ``{"id": 9}`` is *get or create*: a missing row would be created silently.  So
  every write that links existing resources first asks (one search per type) that they exist, and
  answers 404 at the caller's member when one does not.  An add of a member already present is
  not sent (0.17 appends it again), a remove of one absent is not sent (0.17 answers 400).

``options`` of ``[backends.NAME]`` are the 0.17 route options relgate's front door takes
(``methods``, ``results_per_page``, ``max_results_per_page``, ``allow_patch_many``,
``allow_delete_many``, ``allow_functions``, per collection): they say what the backend allows, and
a method it does not route is refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from relgate.capabilities import Capabilities, forbidden_by_backend, missing
from relgate.config import Backend, ConfigError
from relgate.dialects.client import Exchange, bad_answer, include_tree, json_body
from relgate.dialects.restless_filters import OPERATORS_OUT, FilterWriter
from relgate.dialects.restless_legacy.answers import ObjectReader
from relgate.dialects.restless_legacy.fields import Catalog, Fields
from relgate.dialects.restless_legacy.settings import CollectionSettings, read_settings
from relgate.model import (
    Add,
    Aggregate,
    Aggregates,
    And,
    Cmp,
    Count,
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
    Related,
    Remove,
    Replace,
    Resource,
    ResourceList,
    SetOne,
    Update,
    UpdateWhere,
    Upsert,
)
from relgate.ops import distinct, linked
from relgate.schema import Relationship, Schema, render_attribute

JSON = "application/json"
FILTER_OPS = frozenset(OPERATORS_OUT) | {"between", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
AGGREGATES = frozenset({"sum", "avg", "min", "max", "count"})
DELETE_FLAG = "__delete__"
CHECK_CHUNK = 100


class LegacyClient:
    """The client half for one Flask-Restless 0.17 backend (everything compiled once)."""

    def __init__(self, schema: Schema, backend: Backend) -> None:
        self.schema = schema
        self.backend = backend
        self.name = backend.name
        self.catalog = Catalog(schema)
        names = frozenset(self.catalog.by_collection)
        try:
            self.settings = read_settings(backend.options, prefix=backend.name, collection_names=names, max_page_size=100)
        except ConfigError as exc:  # the front door's key paths, said of this backend table
            route_key = f"routes[prefix={backend.name!r}].options"
            raise ConfigError([e.replace(route_key, f"backends.{backend.name}.options") for e in exc.errors]) from None
        self.per_page = self.settings.max_results_per_page
        self.reader = ObjectReader(self.catalog, backend.name)
        self.filters = FilterWriter(self.catalog, lambda what, at: ProblemError(missing(backend.name, what, at=at)), not_like=False)
        served = [self.settings.for_collection(f.name) for f in self.catalog.by_type.values()]
        allowed = [s for s in served if s is not None]
        self.capabilities = Capabilities(
            relationship_reads=False,
            relationship_writes=False,
            partial_linkage=True,
            idempotent_add=False,
            nested_create=True,
            client_ids=frozenset({"integer", "uuid", "string"}),
            bulk_where=any(s.allow_patch_many or s.allow_delete_many for s in allowed),
            aggregate=any(s.allow_functions for s in allowed),
            sparse_fields=False,
            filter_ops=FILTER_OPS,
            related_filters=True,
            compound_filters=True,
            field_comparisons=True,
            page="number",
            notes=("no relationship URLs: linkage is read from the resource", "sparse fields are cut by relgate"),
        )
        self._exchanges: dict[type, Callable[[Any], Exchange]] = {
            Get: self._get, List: self._list, GetRelated: self._get_related, GetLinkage: self._get_linkage,
            Create: self._create, Update: self._update, Upsert: self._upsert, Delete: self._delete,
            SetOne: self._set_one, Replace: self._replace, Add: self._add, Remove: self._remove,
            UpdateWhere: self._update_where, DeleteWhere: self._delete_where, Aggregate: self._aggregate,
        }  # fmt: skip

    def exchange(self, op: Op) -> Exchange:
        return self._exchanges[type(op)](op)

    # --- requests ----------------------------------------------------------------------------

    def _fields(self, type_name: str) -> Fields:
        return self.catalog.of(type_name)

    def _allowed(self, fields: Fields, method: str, at: Path, *, what: str = "") -> CollectionSettings:
        s = self.settings.for_collection(fields.name)
        if s is None or method not in s.methods:
            raise ProblemError(forbidden_by_backend(self.name, what or f"{method} on '{fields.name}'", at=at or None))
        return s

    def _path(self, fields: Fields, id_: str | None = None, *rest: str) -> str:
        path = "/" + fields.name
        if id_ is not None:
            path += "/" + quote(id_, safe="")
        for part in rest:
            path += "/" + part
        return path

    @staticmethod
    def _request(method: str, path: str, params: Mapping[str, Any] | None = None, body: Any = None) -> HttpRequest:
        pairs = [(k, v if isinstance(v, str) else orjson.dumps(v).decode()) for k, v in (params or {}).items()]
        query = urlencode(pairs, quote_via=quote) if pairs else ""
        headers = {"accept": JSON}
        if body is not None:
            headers["content-type"] = JSON
        return HttpRequest(method, path, query, headers, b"" if body is None else orjson.dumps(body))

    def _id(self, ident: Ident) -> Any:
        fields = self._fields(ident.type)
        return int(ident.id) if fields.rtype.id_style == "integer" and ident.id is not None and ident.id.isdigit() else ident.id

    def _ref(self, ident: Ident) -> dict[str, Any]:
        return {"id": self._id(ident)}

    def _linkage_value(self, rel: Relationship, value: Linkage) -> Any:
        if rel.many:
            return [self._ref(i) for i in value or ()]  # type: ignore[union-attr]
        return None if value is None else self._ref(value)  # type: ignore[arg-type]

    def _body(self, fields: Fields, attributes: Mapping[str, Any], relationships: Mapping[str, Linkage]) -> dict[str, Any]:
        body = {name: render_attribute(fields.attributes[name].kind, v) for name, v in attributes.items()}
        for name, value in relationships.items():
            body[name] = self._linkage_value(fields.relationships[name], value)
        return body

    def _q(self, fields: Fields, query: Query) -> dict[str, Any]:
        q: dict[str, Any] = {}
        filters = self.filters.objects(fields, query.where)
        if filters:
            q["filters"] = filters
        if query.sort:
            for key in query.sort:
                if len(key.path) > 1:
                    raise ProblemError(missing(self.name, "sort by a field of a related resource", parameter="sort"))
            column = self.filters._column
            q["order_by"] = [{"field": column(fields, k.path[0]), "direction": "desc" if k.descending else "asc"} for k in query.sort]
        return q

    # --- answers -----------------------------------------------------------------------------

    def _ok(self, response: HttpResponse, at: Path, *expected: int) -> None:
        if response.status not in expected:
            raise self.reader.failure(response, at)

    def _object(self, fields: Fields, response: HttpResponse, at: Path) -> tuple[Resource, list[Resource]]:
        self._ok(response, at, 200, 201)
        return self.reader.resource(fields, json_body(self.name, response))

    # --- reads -------------------------------------------------------------------------------

    def _get(self, op: Get) -> Exchange:
        fields = self._fields(op.ref.type)
        response = yield self._request("GET", self._path(fields, op.ref.id))
        item, related = self._object(fields, response, op.at)
        included = yield from self._included([item], related, op.query, op.at)
        return One(_cut(item, op.query), included)

    def _list(self, op: List) -> Exchange:
        fields = self._fields(op.type)
        q = self._q(fields, op.query)
        items, total, related = yield from self._pages(fields, self._path(fields), q, op.query.page, op.at)
        included = yield from self._included(items, related, op.query, op.at)
        return ResourceList(tuple(_cut(i, op.query) for i in items), total, included)

    def _pages(self, fields: Fields, path: str, q: Mapping[str, Any], page: Page | None, at: Path) -> Exchange:
        """``(items, total, inline related)`` of one caller's page, read as 0.17 pages."""
        params: dict[str, Any] = {"q": q} if q else {}
        related: list[Resource] = []
        if self.settings.results_per_page == 0:  # the backend does not paginate: everything, cut here
            items, total = yield from self._read_page(fields, path, params, related, at)
            start = page.offset if page is not None else 0
            end = None if page is None or page.limit is None else start + page.limit
            return items[start:end], total, related
        if page is None or page.limit is None:
            items = []
            number = 1
            while True:
                window = {**params, "page": str(number), "results_per_page": str(self.per_page)}
                got, total = yield from self._read_page(fields, path, window, related, at)
                items.extend(got)
                if len(got) < self.per_page or len(items) >= total:
                    break
                number += 1
            start = page.offset if page is not None else 0
            return items[start:], total, related
        if page.limit == 0:
            _, total = yield from self._read_page(fields, path, {**params, "page": "1", "results_per_page": "1"}, [], at)
            return [], total, related
        # 0.17 pages of ``size`` covering [offset, offset + limit): one when they line up, else the
        # pages it straddles (two for a shifted page; more when the backend's cap is below the limit)
        size = min(page.limit, self.per_page)
        first, last = page.offset // size, (page.offset + page.limit - 1) // size
        items = []
        total = 0
        for number in range(first + 1, last + 2):
            window = {**params, "page": str(number), "results_per_page": str(size)}
            got, total = yield from self._read_page(fields, path, window, related, at)
            items.extend(got)
            if len(got) < size:
                break
        skip = page.offset - first * size
        return items[skip : skip + page.limit], total, related

    def _read_page(self, fields: Fields, path: str, params: Mapping[str, Any], related: list[Resource], at: Path) -> Exchange:
        response = yield self._request("GET", path, params)
        self._ok(response, at, 200)
        doc = self.reader.page(response)
        items = []
        for obj in doc["objects"]:
            item, inline = self.reader.resource(fields, obj)
            items.append(item)
            related.extend(inline)
        total = doc.get("num_results")
        return items, total if isinstance(total, int) and not isinstance(total, bool) else len(items)

    def _get_related(self, op: GetRelated) -> Exchange:
        fields = self._fields(op.ref.type)
        rel = fields.relationships[op.relationship]
        target = self.catalog.target(rel)
        if not rel.many:
            owner, _ = yield from self._read(op.ref, op.at)
            linkage = owner.relationships.get(rel.name)
            if not isinstance(linkage, Ident):
                return One(None)
            return (yield from self._get(Get(linkage, op.query, op.at)))
        query = op.query
        if query.where is not None or query.sort:
            # a relation URL takes no q: search the related collection through the inverse instead
            if rel.inverse is None:
                raise ProblemError(missing(self.name, f"filter or sort the members of '{rel.owner}.{rel.name}'", at=op.at or None))
            inverse = target.relationships[rel.inverse]
            match: Filter = Related(inverse.name, Cmp("id", "eq", op.ref.id))
            where = match if query.where is None else And((match, query.where))
            listed = Query(where, query.sort, query.page, query.include, query.fields, query.count)
            return (yield from self._list(List(target.rtype.name, listed, op.at)))
        items, total, related = yield from self._pages(target, self._path(fields, op.ref.id, rel.name), {}, query.page, op.at)
        included = yield from self._included(items, related, query, op.at)
        return ResourceList(tuple(_cut(i, query) for i in items), total, included)

    def _get_linkage(self, op: GetLinkage) -> Exchange:
        fields = self._fields(op.ref.type)
        rel = fields.relationships[op.relationship]
        item, related = yield from self._read(op.ref, op.at)
        linkage = item.relationships.get(rel.name, () if rel.many else None)
        included: tuple[Resource, ...] = ()
        if op.query.include:
            included = yield from self._included([item], related, op.query, op.at)
        return LinkageResult(linkage, included)

    def _read(self, ref: Ident, at: Path) -> Exchange:
        fields = self._fields(ref.type)
        response = yield self._request("GET", self._path(fields, ref.id))
        return self._object(fields, response, at)

    def _included(self, roots: list[Resource], inline: list[Resource], query: Query, at: Path) -> Exchange:
        """The resources the include paths reach: one level from the objects, deeper ones read."""
        if not query.include:
            return ()
        known: dict[tuple[str, str], Resource] = {}
        for r in inline:
            known.setdefault((r.type, r.id), r)
        full: dict[tuple[str, str], Resource] = {(r.type, r.id): r for r in roots}
        out: dict[tuple[str, str], Resource] = {}
        tree = include_tree(query.include)
        level: list[tuple[Resource, Mapping[str, Any]]] = [(r, tree) for r in roots]
        while level:
            following: list[tuple[Resource, Mapping[str, Any]]] = []
            for resource, sub in level:
                for name, deeper in sub.items():
                    linkage = resource.relationships.get(name)
                    members = linkage if isinstance(linkage, tuple) else (() if linkage is None else (linkage,))
                    for ident in members:
                        key = (ident.type, ident.id or "")
                        if deeper and key not in full:
                            fetched, more = yield from self._read(ident, at)
                            full[key] = fetched
                            for r in more:
                                known.setdefault((r.type, r.id), r)
                        out[key] = full.get(key) or known.get(key) or Resource(ident.type, key[1], {}, {})
                        if deeper:
                            following.append((full[key], deeper))
            level = following
        return tuple(_cut(r, query) for r in out.values())

    # --- writes ------------------------------------------------------------------------------

    def _require(self, idents: Iterable[Ident], at: Path) -> Exchange:
        """Every resource named must exist (0.17 would create a missing one): 404 at its member."""
        by_type: dict[str, dict[str, Ident]] = {}
        for ident in idents:
            if ident.id is not None:
                by_type.setdefault(ident.type, {}).setdefault(ident.id, ident)
        problems: list[Problem] = []
        for type_name, wanted in by_type.items():
            fields = self._fields(type_name)
            ids = list(wanted)
            found: set[str] = set()
            step = max(1, min(CHECK_CHUNK, self.per_page))  # one page holds a whole chunk
            for i in range(0, len(ids), step):
                chunk = [self._id(wanted[x]) for x in ids[i : i + step]]
                q = {"filters": [{"name": "id", "op": "in", "val": chunk}]}
                params = {"q": q, "page": "1", "results_per_page": str(max(len(chunk), 1))}
                response = yield self._request("GET", self._path(fields), params)
                self._ok(response, at, 200)
                found.update(str(o.get("id")) for o in self.reader.page(response)["objects"] if isinstance(o, Mapping))
            for id_, ident in wanted.items():
                if id_ not in found:
                    detail = f"No resource of type '{type_name}' with id '{id_}'."
                    problems.append(Problem(404, "not-found", "Resource not found", detail, at=ident.at or at or None))
        if problems:
            raise ProblemError(*problems)

    def _create(self, op: Create) -> Exchange:
        fields = self._fields(op.type)
        self._allowed(fields, "POST", op.at)
        yield from self._require(linked(op.relationships), op.at)
        body = self._body(fields, op.attributes, op.relationships)
        if op.ref is not None and op.ref.id is not None:
            body["id"] = self._id(op.ref)
        response = yield self._request("POST", self._path(fields), body=body)
        item, _ = self._object(fields, response, op.at)
        return One(item)

    def _patch(self, ref: Ident, body: Mapping[str, Any], at: Path) -> Exchange:
        fields = self._fields(ref.type)
        self._allowed(fields, "PATCH", at)
        response = yield self._request("PATCH", self._path(fields, ref.id), body=body)
        item, _ = self._object(fields, response, at)
        return item

    def _update(self, op: Update) -> Exchange:
        fields = self._fields(op.ref.type)
        self._allowed(fields, "PATCH", op.at)
        yield from self._require(linked(op.relationships), op.at)
        item = yield from self._patch(op.ref, self._body(fields, op.attributes, op.relationships), op.at)
        return One(item) if op.returning else None

    def _upsert(self, op: Upsert) -> Exchange:
        """Find by the keys (one read), then update or create: 0.17's get-or-create is nested only."""
        fields = self._fields(op.type)
        found: Resource | None = None
        if op.keys == ("id",):
            if op.ref is not None and op.ref.id is not None:
                response = yield self._request("GET", self._path(fields, op.ref.id))
                if response.status != 404:
                    found, _ = self._object(fields, response, op.at)
        else:
            where = tuple(Cmp(k, "eq", op.attributes[k]) if op.attributes.get(k) is not None else Cmp(k, "is_null") for k in op.keys)
            query = Query(where=where[0] if len(where) == 1 else And(where))
            items, _, _ = yield from self._pages(fields, self._path(fields), self._q(fields, query), Page(0, 2), op.at)
            if len(items) > 1:
                raise ProblemError(Problem(409, "conflict", "Conflict", "The upsert keys match more than one resource.", at=op.at))
            found = items[0] if items else None
        if found is None:
            create = Create(op.ref if op.ref and op.ref.id else None, op.type, op.attributes, op.relationships, op.at, op.returning)
            return (yield from self._create(create))
        return (yield from self._update(Update(found.ident, op.attributes, op.relationships, op.at, op.returning)))

    def _delete(self, op: Delete) -> Exchange:
        fields = self._fields(op.ref.type)
        self._allowed(fields, "DELETE", op.at)
        response = yield self._request("DELETE", self._path(fields, op.ref.id))
        self._ok(response, op.at, 200, 204)
        return None

    def _set_one(self, op: SetOne) -> Exchange:
        fields = self._fields(op.ref.type)
        rel = fields.relationships[op.relationship]
        self._allowed(fields, "PATCH", op.at)
        if op.target is not None:
            yield from self._require([op.target], op.at)
        yield from self._patch(op.ref, {rel.name: self._linkage_value(rel, op.target)}, op.at)
        return None

    def _replace(self, op: Replace) -> Exchange:
        fields = self._fields(op.ref.type)
        rel = fields.relationships[op.relationship]
        self._allowed(fields, "PATCH", op.at)
        yield from self._require(op.targets, op.at)
        yield from self._patch(op.ref, {rel.name: self._linkage_value(rel, op.targets)}, op.at)
        return None

    def _members(self, ref: Ident, rel: Relationship, at: Path) -> Exchange:
        item, _ = yield from self._read(ref, at)
        linkage = item.relationships.get(rel.name)
        if isinstance(linkage, tuple):
            return linkage
        return () if linkage is None else (linkage,)

    def _add(self, op: Add) -> Exchange:
        fields = self._fields(op.ref.type)
        rel = fields.relationships[op.relationship]
        if not rel.many:
            return (yield from self._set_one(SetOne(op.ref, op.relationship, op.targets[-1] if op.targets else None, op.at)))
        self._allowed(fields, "PATCH", op.at)
        present = {i.key for i in (yield from self._members(op.ref, rel, op.at))}
        new = [t for t in distinct(op.targets) if t.key not in present]
        if not new:
            return None
        yield from self._require(new, op.at)
        yield from self._patch(op.ref, {rel.name: {"add": [self._ref(t) for t in new]}}, op.at)
        return None

    def _remove(self, op: Remove) -> Exchange:
        fields = self._fields(op.ref.type)
        rel = fields.relationships[op.relationship]
        self._allowed(fields, "PATCH", op.at)
        current = yield from self._members(op.ref, rel, op.at)
        keys = {i.key for i in current}
        absent = [t for t in op.targets if t.key not in keys]
        if op.require_present and absent:
            raise ProblemError(
                *(Problem(400, "invalid", "Not a member", f"'{t.type}' {t.id} is not related through '{rel.name}'.", at=t.at or None)
                  for t in absent)
            )  # fmt: skip
        drop = [t for t in distinct(op.targets) if t.key in keys]
        if not drop:
            return None
        if not rel.many:
            yield from self._patch(op.ref, {rel.name: None}, op.at)
            if op.delete_targets:
                yield from self._delete(Delete(drop[0], op.at))
            return None
        items = [{**self._ref(t), **({DELETE_FLAG: True} if op.delete_targets else {})} for t in drop]
        yield from self._patch(op.ref, {rel.name: {"remove": items}}, op.at)
        return None

    # --- bulk and aggregates -----------------------------------------------------------------

    def _bulk(self, fields: Fields, flag: str, what: str, at: Path) -> None:
        s = self.settings.for_collection(fields.name)
        if s is None or not getattr(s, flag):
            raise ProblemError(missing(self.name, f"{what} on '{fields.name}'", at=at or None))

    def _update_where(self, op: UpdateWhere) -> Exchange:
        fields = self._fields(op.type)
        self._bulk(fields, "allow_patch_many", "update every resource matching a filter in one request", op.at)
        body: dict[str, Any] = self._body(fields, op.attributes, {})
        body["q"] = {"filters": self.filters.objects(fields, op.where)}
        response = yield self._request("PATCH", self._path(fields), body=body)
        self._ok(response, op.at, 200)
        return Count(_number(self.name, json_body(self.name, response), "num_modified"))

    def _delete_where(self, op: DeleteWhere) -> Exchange:
        fields = self._fields(op.type)
        self._bulk(fields, "allow_delete_many", "delete every resource matching a filter in one request", op.at)
        filters = self.filters.objects(fields, op.where)
        response = yield self._request("DELETE", self._path(fields), {"q": {"filters": filters}} if filters else None)
        if response.status == 404:  # 0.17 answers 404 {"num_deleted": 0} when nothing matched
            doc = json_body(self.name, response)
            if isinstance(doc, Mapping) and doc.get("num_deleted") == 0:
                return Count(0)
        self._ok(response, op.at, 200)
        return Count(_number(self.name, json_body(self.name, response), "num_deleted"))

    def _aggregate(self, op: Aggregate) -> Exchange:
        fields = self._fields(op.type)
        self._bulk(fields, "allow_functions", "compute aggregate functions", op.at)
        if op.where is not None:
            what = "compute aggregate functions over a filtered set (its /eval takes no filters)"
            raise ProblemError(missing(self.name, what, at=op.at or None))
        for fn, _ in op.functions:
            if fn not in AGGREGATES:
                raise ProblemError(missing(self.name, f"compute the aggregate function '{fn}'", at=op.at or None))
        if not op.functions:
            return Aggregates({})
        q = {"functions": [{"name": fn, "field": self.filters._column(fields, f)} for fn, f in op.functions]}
        response = yield self._request("GET", "/eval" + self._path(fields), {"q": q})
        self._ok(response, op.at, 200)
        doc = json_body(self.name, response)
        if not isinstance(doc, Mapping):
            raise bad_answer(self.name, "an object of function results was expected", response.status)
        values = {}
        for fn, f in op.functions:
            key = f"{fn}__{self.filters._column(fields, f)}"
            if key not in doc:
                raise bad_answer(self.name, f"the result of {key} is missing", response.status)
            values[(fn, f)] = self.reader.aggregate(fields.attributes.get(f), doc[key])
        return Aggregates(values)


def _number(backend: str, doc: Any, key: str) -> int:
    value = doc.get(key) if isinstance(doc, Mapping) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_answer(backend, f"'{key}' was expected")
    return value



def _cut(resource: Resource, query: Query) -> Resource:
    """Sparse fields, which 0.17 cannot ask for: the attributes and linkage the caller wants."""
    names = query.fields.get(resource.type)
    if names is None:
        return resource
    return Resource(
        resource.type,
        resource.id,
        {k: v for k, v in resource.attributes.items() if k in names},
        {k: v for k, v in resource.relationships.items() if k in names},
        resource.lid,
    )
