"""The Strapi client half: canonical ops -> Strapi 5 (or Strapi 4) content-API requests, and back.

Ids: a Strapi 5 backend's ids toward callers are its ``documentId`` strings, kept as given (the
proxy's types say ``id = "string"``); with ``options.response_format = "v4"`` they are Strapi 4's
numeric ids (``{id, attributes}`` entries, numeric ids in URLs and relation items).

- reads: ``GET /restaurants/<id>`` and ``GET /restaurants`` with ``populate`` (include; every
  relationship of the primary entries is populated with its ids only, for linkage), ``fields``,
  ``filters`` (:mod:`.filters_out`), ``sort`` and ``pagination[start]``/``[limit]`` — all written in
  qs bracket syntax by :func:`.qs.encode`, the inverse of the parser the server half reads them
  with; totals from ``meta.pagination.total``.  Strapi cuts a collection at its ``maxLimit``
  (option ``max_limit``, 100): a larger caller page, or a read of everything, is read on page by
  page until it is full.  Strapi has no relationship URLs: a relationship's linkage and members are
  read through the owner with ``populate`` (unbounded, in Strapi's order); members that are
  filtered go through the inverse relation as a search of the related collection.
- writes: ``POST``/``PUT`` with ``{"data": …}``, relations as ``{"set": […]}`` (replace), the
  entry object (to-one) or ``null``; ``connect`` with ``position`` (``before``/``after``/``start``/
  ``end``, ``options.strict``) for an Add, ``disconnect`` for a Remove.  Strapi moves a member
  connected again, so an Add without a position first reads the linkage and connects only new
  members (the native form of an idempotent add); a Remove disconnects only present members.
- ``DELETE`` answers 204 even for a documentId that is no document, so relgate reads the entry
  first: the caller gets 404 for a document that does not exist (Strapi 4 answers 404 itself).
- errors: the ``{data: null, error: {status, name, message, details}}`` envelope, read by
  :class:`.answers.EntryReader`.  Strapi sends no ``ETag``: nothing conditional is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from relgate.capabilities import Capabilities, missing
from relgate.config import Backend
from relgate.dialects.client import Exchange, bad_answer, include_tree
from relgate.dialects.strapi import qs
from relgate.dialects.strapi.answers import EntryReader
from relgate.dialects.strapi.filters_out import FILTER_OPS, FilterTree
from relgate.dialects.wire import dumps
from relgate.model import (
    Add,
    After,
    And,
    Before,
    Cmp,
    Create,
    Delete,
    End,
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
    Position,
    Problem,
    ProblemError,
    Query,
    Related,
    Remove,
    Replace,
    Resource,
    ResourceList,
    SetOne,
    Start,
    Update,
    Upsert,
)
from relgate.ops import distinct, linked
from relgate.schema import Relationship, ResourceType, Schema, render_attribute

JSON = "application/json"
OPTIONS = frozenset({"response_format", "max_limit"})


class StrapiClient:
    """The client half for one Strapi backend (everything compiled once)."""

    def __init__(self, schema: Schema, backend: Backend) -> None:
        options = dict(backend.options)
        unknown = sorted(set(options) - OPTIONS)
        if unknown:
            raise ValueError(f"options: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(OPTIONS))})")
        fmt = options.get("response_format", "v5")
        if fmt not in ("v5", "v4"):
            raise ValueError(f"options.response_format must be 'v5' or 'v4', not {fmt!r}")
        max_limit = options.get("max_limit", 100)
        if not isinstance(max_limit, int) or isinstance(max_limit, bool) or max_limit < 1:
            raise ValueError("options.max_limit must be a positive integer")
        self.schema = schema
        self.backend = backend
        self.name = backend.name
        self.v4 = fmt == "v4"
        self.max_limit = max_limit
        self.id_key = "id" if self.v4 else "documentId"
        self.plural = {t.name: t.name_in("strapi") for t in schema.types.values()}
        self.reader = EntryReader(schema, backend.name, v4=self.v4)
        self.filters = FilterTree(schema, self.id_key, lambda what, at: ProblemError(missing(backend.name, what, at=at)))
        self.capabilities = Capabilities(
            relationship_reads=False,
            relationship_writes=False,
            partial_linkage=True,
            positions=True,
            keeps_order=True,
            idempotent_add=False,
            client_ids=frozenset(),
            filter_ops=FILTER_OPS,
            related_filters=True,
            compound_filters=True,
            sort_through_relationships=True,
            page="offset",
            notes=("collections are cut at max_limit; populate is unbounded", "DELETE of an unknown documentId is 204"),
        )
        self._exchanges: dict[type, Callable[[Any], Exchange]] = {
            Get: self._get, List: self._list, GetRelated: self._get_related, GetLinkage: self._get_linkage,
            Create: self._create, Update: self._update, Upsert: self._upsert, Delete: self._delete,
            SetOne: self._set_one, Replace: self._replace, Add: self._add, Remove: self._remove,
        }  # fmt: skip

    def exchange(self, op: Op) -> Exchange:
        handler = self._exchanges.get(type(op))
        if handler is None:
            what = "carry out this operation (Strapi has no bulk writes and no aggregates)"
            raise ProblemError(missing(self.name, what, at=getattr(op, "at", None) or None))
        return handler(op)

    # --- requests ----------------------------------------------------------------------------

    def _path(self, type_name: str, id_: str | None = None) -> str:
        path = "/" + self.plural[type_name]
        return path if id_ is None else path + "/" + quote(id_, safe="")

    @staticmethod
    def _request(method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> HttpRequest:
        headers = {"accept": JSON}
        if body is not None:
            headers["content-type"] = JSON
        return HttpRequest(method, path, qs.encode(params) if params else "", headers, b"" if body is None else dumps(body))

    def _key(self, ident: Ident) -> Any:
        """How an item names a document: ``{documentId}`` (Strapi 5) or ``{id}`` (Strapi 4)."""
        if self.v4:
            return int(ident.id) if ident.id is not None and ident.id.isdigit() else ident.id
        return ident.id

    def _item(self, ident: Ident) -> dict[str, Any]:
        return {self.id_key: self._key(ident)}

    def _relation(self, rel: Relationship, value: Linkage) -> Any:
        if rel.many:
            return {"set": [self._item(i) for i in value or ()]}  # type: ignore[union-attr]
        return None if value is None else self._item(value)  # type: ignore[arg-type]

    def _data(self, rtype: ResourceType, attributes: Mapping[str, Any], relationships: Mapping[str, Linkage]) -> dict[str, Any]:
        data = {name: render_attribute(rtype.attributes[name].kind, v) for name, v in attributes.items()}
        for name, value in relationships.items():
            data[name] = self._relation(rtype.relationships[name], value)
        return {"data": data}

    def _fields(self, rtype: ResourceType, names: Iterable[str]) -> list[str]:
        chosen = [n for n in rtype.attributes if n in set(names)]
        return chosen or [self.id_key]

    def _populate(self, rtype: ResourceType, tree: Mapping[str, Any], query: Query, *, linkage: bool) -> dict[str, Any]:
        """``populate`` for the include tree; with ``linkage`` every other relationship with ids only."""
        names = query.fields.get(rtype.name)
        out: dict[str, Any] = {}
        for name, rel in rtype.relationships.items():
            target = self.schema[rel.target]
            if name in tree:
                spec: dict[str, Any] = {}
                wanted = query.fields.get(target.name)
                if wanted is not None:
                    spec["fields"] = self._fields(target, wanted)
                sub = self._populate(target, tree[name], query, linkage=False)
                if sub:
                    spec["populate"] = sub
                out[name] = spec or "true"
            elif (names is None and linkage) or (names is not None and name in names):
                out[name] = {"fields": [self.id_key]}
        return out

    def _shape(self, rtype: ResourceType, query: Query, *, linkage: bool = True) -> dict[str, Any]:
        """``fields`` and ``populate`` of a read of ``rtype`` entries."""
        params: dict[str, Any] = {}
        names = query.fields.get(rtype.name)
        if names is not None:
            params["fields"] = self._fields(rtype, names)
        populate = self._populate(rtype, include_tree(query.include), query, linkage=linkage)
        if populate:
            params["populate"] = populate
        return params

    def _sort(self, rtype: ResourceType, query: Query) -> list[str]:
        out = []
        for key in query.sort:
            path = list(key.path)
            current = rtype
            for name in path[:-1]:
                current = self.schema[current.relationships[name].target]
            if path[-1] in current.relationships:  # a to-one sorts by its id (0.17's order_by owner_id)
                path.append("id")
            path[-1] = self.id_key if path[-1] == "id" else path[-1]
            out.append(".".join(path) + (":desc" if key.descending else ":asc"))
        return out

    # --- answers -----------------------------------------------------------------------------

    def _fail(self, response: HttpResponse, at: Path, rtype: ResourceType | None = None, named: Iterable[Ident] = ()) -> ProblemError:
        return self.reader.failure(response, at, rtype, {str(self._key(i)): i for i in named})

    def _one(self, rtype: ResourceType, response: HttpResponse, query: Query, at: Path, named: Iterable[Ident] = ()) -> One:
        if response.status not in (200, 201):
            raise self._fail(response, at, rtype, named)
        doc = self.reader.document(response)
        if doc["data"] is None:
            return One(None)
        included: dict[tuple[str, str], Resource] = {}
        item = self.reader.entry(rtype, doc["data"], include_tree(query.include), included)
        return One(item, tuple(included.values()))

    # --- reads -------------------------------------------------------------------------------

    def _get(self, op: Get) -> Exchange:
        rtype = self.schema[op.ref.type]
        response = yield self._request("GET", self._path(rtype.name, op.ref.id), self._shape(rtype, op.query))
        return self._one(rtype, response, op.query, op.at)

    def _list(self, op: List) -> Exchange:
        return (yield from self._collection(self.schema[op.type], op.query, op.at))

    def _collection(self, rtype: ResourceType, query: Query, at: Path) -> Exchange:
        params = self._shape(rtype, query)
        if query.where is not None:
            params["filters"] = self.filters.tree(rtype.name, query.where)
        if query.sort:
            params["sort"] = self._sort(rtype, query)
        tree = include_tree(query.include)
        page = query.page or Page()
        items: list[Resource] = []
        included: dict[tuple[str, str], Resource] = {}
        total: int | None = None
        start = page.offset
        wanted = page.limit
        while True:
            limit = self.max_limit if wanted is None else max(1, min(wanted - len(items), self.max_limit))
            pagination = {"start": str(start), "limit": str(limit), "withCount": "true"}
            response = yield self._request("GET", self._path(rtype.name), {**params, "pagination": pagination})
            if response.status != 200:
                raise self._fail(response, at, rtype)
            doc = self.reader.document(response)
            if not isinstance(doc["data"], list):
                raise bad_answer(self.name, "a list of entries was expected", response.status)
            got = [self.reader.entry(rtype, e, tree, included) for e in doc["data"]]
            total = self.reader.total(doc)
            if wanted == 0:
                break
            items.extend(got)
            start += len(got)
            # Strapi cuts a page at its maxLimit: a larger caller page is read on until it is full
            if len(got) < limit or (wanted is not None and len(items) >= wanted) or (total is not None and start >= total):
                break
        return ResourceList(tuple(items), total, tuple(included.values()))

    def _members(self, ref: Ident, rel: Relationship, query: Query, at: Path, *, full: bool) -> Exchange:
        """The related entries of one relationship, read through the owner (``populate``)."""
        rtype = self.schema[ref.type]
        target = self.schema[rel.target]
        if full:
            spec: dict[str, Any] = self._shape(target, query)
            if query.sort:
                spec["sort"] = self._sort(target, query)
        else:
            spec = {"fields": [self.id_key]}
        params = {"fields": [self.id_key], "populate": {rel.name: spec or "true"}}
        response = yield self._request("GET", self._path(rtype.name, ref.id), params)
        if response.status != 200:
            raise self._fail(response, at, rtype)
        doc = self.reader.document(response)
        entry = doc["data"]
        if not isinstance(entry, Mapping):
            raise bad_answer(self.name, "an entry was expected", response.status)
        body = entry.get("attributes", {}) if self.v4 else entry
        value = body.get(rel.name) if isinstance(body, Mapping) else None
        if self.v4 and isinstance(value, Mapping):
            value = value.get("data")
        if rel.many and not isinstance(value, list):
            raise bad_answer(self.name, f"the entry came back without its relation '{rel.name}'")
        members = value if rel.many else ([] if value is None else [value])
        included: dict[tuple[str, str], Resource] = {}
        tree = include_tree(query.include) if full else {}
        return [self.reader.entry(target, m, tree, included) for m in members], tuple(included.values())

    def _get_related(self, op: GetRelated) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        query = op.query
        if not rel.many:
            members, included = yield from self._members(op.ref, rel, query, op.at, full=True)
            return One(members[0] if members else None, included)
        if query.where is not None:
            if rel.inverse is None:
                what = f"filter the members of '{rel.owner}.{rel.name}' (no inverse to search by)"
                raise ProblemError(missing(self.name, what, at=op.at or None))
            match = Related(rel.inverse, Cmp("id", "eq", op.ref.id))
            listed = Query(And((match, query.where)), query.sort, query.page, query.include, query.fields, query.count)
            return (yield from self._collection(self.schema[rel.target], listed, op.at))
        members, included = yield from self._members(op.ref, rel, query, op.at, full=True)
        page = query.page or Page()
        end = None if page.limit is None else page.offset + page.limit
        return ResourceList(tuple(members[page.offset : end]), len(members), included)

    def _get_linkage(self, op: GetLinkage) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        members, _ = yield from self._members(op.ref, rel, Query(), op.at, full=False)
        linkage: Linkage = tuple(m.ident for m in members) if rel.many else (members[0].ident if members else None)
        included: tuple[Resource, ...] = ()
        if op.query.include:
            one = yield from self._get(Get(op.ref, Query(include=op.query.include, fields=op.query.fields), op.at))
            included = one.included
        return LinkageResult(linkage, included)

    def _linkage(self, ref: Ident, rel: Relationship, at: Path) -> Exchange:
        members, _ = yield from self._members(ref, rel, Query(), at, full=False)
        return [m.ident for m in members]

    # --- writes ------------------------------------------------------------------------------

    def _create(self, op: Create) -> Exchange:
        rtype = self.schema[op.type]
        if op.ref is not None and op.ref.id is not None:
            raise ProblemError(missing(self.name, "accept client-generated ids (Strapi assigns documentIds)", at=op.at or None))
        params = self._shape(rtype, Query()) if op.returning else {"fields": [self.id_key]}
        response = yield self._request("POST", self._path(rtype.name), params, self._data(rtype, op.attributes, op.relationships))
        return self._one(rtype, response, Query(), op.at, linked(op.relationships))

    def _put(self, ref: Ident, data: dict[str, Any], at: Path, named: Iterable[Ident] = (), *, returning: bool = False) -> Exchange:
        rtype = self.schema[ref.type]
        params = self._shape(rtype, Query()) if returning else {"fields": [self.id_key]}
        response = yield self._request("PUT", self._path(rtype.name, ref.id), params, data)
        return self._one(rtype, response, Query(), at, named)

    def _update(self, op: Update) -> Exchange:
        rtype = self.schema[op.ref.type]
        data = self._data(rtype, op.attributes, op.relationships)
        one = yield from self._put(op.ref, data, op.at, linked(op.relationships), returning=op.returning)
        return one if op.returning else None

    def _upsert(self, op: Upsert) -> Exchange:
        """Find by the keys (one read), then update or create: Strapi has no upsert."""
        rtype = self.schema[op.type]
        found: Resource | None = None
        if op.keys == ("id",):
            if op.ref is not None and op.ref.id is not None:
                response = yield self._request("GET", self._path(rtype.name, op.ref.id), {"fields": [self.id_key]})
                if response.status != 404:
                    found = self._one(rtype, response, Query(), op.at).item
        else:
            where = tuple(Cmp(k, "eq", op.attributes.get(k)) for k in op.keys)
            query = Query(where=where[0] if len(where) == 1 else And(where), page=Page(0, 2), fields={rtype.name: frozenset()})
            listed = yield from self._collection(rtype, query, op.at)
            if len(listed.items) > 1:
                raise ProblemError(Problem(409, "conflict", "Conflict", "The upsert keys match more than one resource.", at=op.at))
            found = listed.items[0] if listed.items else None
        if found is None:
            create = Create(op.ref if op.ref and op.ref.id else None, op.type, op.attributes, op.relationships, op.at, op.returning)
            return (yield from self._create(create))
        return (yield from self._update(Update(found.ident, op.attributes, op.relationships, op.at, op.returning)))

    def _delete(self, op: Delete) -> Exchange:
        rtype = self.schema[op.ref.type]
        if not self.v4:  # Strapi 5 answers 204 for a documentId that is no document: ask first
            response = yield self._request("GET", self._path(rtype.name, op.ref.id), {"fields": [self.id_key]})
            if response.status != 200:
                raise self._fail(response, op.at, rtype)
        response = yield self._request("DELETE", self._path(rtype.name, op.ref.id))
        if response.status not in (200, 204):
            raise self._fail(response, op.at, rtype)
        return None

    def _set_one(self, op: SetOne) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        data = {"data": {rel.name: self._relation(rel, op.target)}}
        yield from self._put(op.ref, data, op.at, () if op.target is None else (op.target,))
        return None

    def _replace(self, op: Replace) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        yield from self._put(op.ref, {"data": {rel.name: self._relation(rel, op.targets)}}, op.at, op.targets)
        return None

    def _add(self, op: Add) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        if not rel.many:
            return (yield from self._set_one(SetOne(op.ref, op.relationship, op.targets[-1] if op.targets else None, op.at)))
        targets = distinct(op.targets)
        if op.positions:
            placed = list(zip(op.targets, op.positions, strict=True))
        elif op.position is not None:
            placed = _chain(targets, op.position)
        else:
            present = {i.key for i in (yield from self._linkage(op.ref, rel, op.at))}
            placed = [(t, None) for t in targets if t.key not in present]  # Strapi would move a present member
        if not placed:
            return None
        connect = [self._connect(t, p) for t, p in placed]
        value: dict[str, Any] = {"connect": connect}
        anchors = [p for _, p in placed if isinstance(p, (Before, After))]
        if anchors and not all(p.strict for p in anchors):
            value["options"] = {"strict": False}
        named = [t for t, _ in placed] + [p.anchor for p in anchors]
        yield from self._put(op.ref, {"data": {rel.name: value}}, op.at, named)
        return None

    def _connect(self, ident: Ident, position: Position | None) -> dict[str, Any]:
        item = self._item(ident)
        if isinstance(position, Before):
            item["position"] = {"before": self._key(position.anchor)}
        elif isinstance(position, After):
            item["position"] = {"after": self._key(position.anchor)}
        elif isinstance(position, Start):
            item["position"] = {"start": True}
        elif isinstance(position, End):
            item["position"] = {"end": True}
        return item

    def _remove(self, op: Remove) -> Exchange:
        rel = self.schema[op.ref.type].relationships[op.relationship]
        current = yield from self._linkage(op.ref, rel, op.at)
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
        value: Any = {"disconnect": [self._item(t) for t in drop]} if rel.many else None
        yield from self._put(op.ref, {"data": {rel.name: value}}, op.at, drop)
        if op.delete_targets:
            for t in drop:
                yield from self._delete(Delete(t, op.at))
        return None


def _chain(targets: Sequence[Ident], position: Position) -> list[tuple[Ident, Position | None]]:
    """One position for several members "in order": the first there, each next after the one before.

    (Strapi applies connect items one by one, so ``[a, b]`` both ``start`` would end ``b, a``.)
    """
    out: list[tuple[Ident, Position | None]] = []
    for i, t in enumerate(targets):
        if i == 0 or isinstance(position, End):
            out.append((t, position))
        else:
            out.append((t, After(targets[i - 1])))
    return out
