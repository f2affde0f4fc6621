"""Oro's ``included`` on create and update: one canonical Batch with local ids.

Oro lets a ``POST /{type}`` or ``PATCH /{type}/{id}`` carry related resources in ``included``
(``api/create-update-related-resources.md``; ``NormalizeIncludedData``,
``ValidateIncludedDataDependencies``).  Every included item has a ``type`` and an ``id``; the
item's ``meta`` says what to do with it:

- no flag: create it; the ``id`` is a temporary id (any string unique in the request) for types
  whose ids the server generates, the real id for types with client ids;
- ``"update": true``: update the existing resource with that id (missing: 400, from the store);
- ``"upsert": true`` (or ``["id"]``): update by id or create with that id (client-id types only);
  ``"upsert": ["field", ...]``: update the resource matching those attributes, or create it.

The primary ``data.id`` of a create is likewise a temporary id for server-generated types, so
included items may point back at the primary before it exists.

Checks, in Oro's order, each stage reporting all its problems before the next runs:

1. structure (:mod:`relgate.dialects.oro.validation`): ``lid`` and other members, ``type``/``id``;
2. per item: known type (``entity type constraint``), meta flags (:mod:`~relgate.dialects.oro.flags`),
   duplicates of an earlier item, and the connection rule: every item must be linked to the
   primary resource, directly, by a link back to the primary, or through other included items
   (:func:`unconnected`, a port of ``ValidateIncludedDataDependencies``);
3. ids: real ids must have the type's id form (``entity identifier constraint``);
4. attributes and relationships, read by the JSON:API reader with temporary ids turned into lids.

The Batch (nothing Oro-specific in it): first one write per resource — the primary, then the
included items in order — with the linkage that names no resource of this request, then the
linkage that does (``SetOne``/``Replace``, now that every lid is bound), then a ``Get`` of the
primary and of every included item, so the response shows each one with its inverse linkage.
A primary upsert is preceded by a ``List`` probe that tells a creation (201) from an update (200).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from relgate.dialects.jsonapi.documents import DocumentReader, LidScope, ResourceInput
from relgate.dialects.jsonapi.errors import Issues, too_many
from relgate.dialects.jsonapi.profile import JsonApiProfile
from relgate.dialects.jsonapi.writes import WriteBuilder
from relgate.dialects.oro.errors import ENTITY_ID, ENTITY_TYPE, oro_problem, request_data, value
from relgate.dialects.oro.flags import NO_FLAGS, Flags, operation_flags
from relgate.dialects.oro.validation import check_resource_document
from relgate.dialects.wire import unaddressable
from relgate.model import (
    And,
    Cmp,
    Create,
    Filter,
    Get,
    Ident,
    Linkage,
    List,
    Op,
    Page,
    Path,
    ProblemError,
    Query,
    Replace,
    SetOne,
    Update,
    Upsert,
)
from relgate.schema import ResourceType, Schema, parse_id

Kind = Literal["create", "update", "upsert"]
Key = tuple[str, str]
"""(type, id) of a resource object as the request names it: canonical type, the id string sent."""
KeyOf = Callable[[Any], "Key | None"]

UNCONNECTED = "The entity should have a relationship with the primary entity and this should be explicitly specified in the request"
PRIMARY_LID = "relgate:primary"
"""Local id of a created primary resource the request gave no id (a suffix keeps it unique)."""


@dataclass(frozen=True, slots=True)
class Local:
    """A resource object of the request (the primary or an included item) and what to do with it."""

    at: Path
    obj: Mapping[str, Any]
    type: ResourceType
    raw_id: str | None
    kind: Kind
    ref: Ident | None
    keys: tuple[str, ...] = ()
    """Upsert keys: ``("id",)`` or attribute names."""


@dataclass(frozen=True, slots=True)
class WritePlan:
    ops: tuple[Op, ...]
    primary: int
    """Index of the op whose result is the primary resource."""
    included: tuple[tuple[int, str], ...]
    """Per included item: index of its ``Get`` and its ``meta.includeId`` (the id it was sent with)."""
    probe: int | None = None
    """Index of the ``List`` that found (or not) the resource a primary upsert names."""


class IncludedPlanner:
    """Compiled once per Oro front door."""

    def __init__(self, schema: Schema, profile: JsonApiProfile, writes: WriteBuilder, *, max_included: int = 500) -> None:
        self.schema = schema
        self.max_included = max_included
        """``server.max_included_resources``: a larger ``included`` is 413 before it is read."""
        self.accepted = schema.accepted_for(profile.dialect)
        self.reader = DocumentReader(schema, dataclasses.replace(profile, lid=True))
        self.writes = writes
        self.client_ids = profile.client_id_styles

    def generated(self, rtype: ResourceType) -> bool:
        """Whether the server assigns the type's ids (Oro: the entity has an id generator)."""
        return rtype.id_style not in self.client_ids

    def key(self, obj: Any) -> Key | None:
        """``getObjectKey``: only objects whose ``type`` and ``id`` are strings have one."""
        if not isinstance(obj, Mapping):
            return None
        t, i = obj.get("type"), obj.get("id")
        if not isinstance(t, str) or not isinstance(i, str):
            return None
        rtype = self.accepted.get(t)
        return (rtype.name if rtype is not None else "\0" + t, i)

    # --- the whole request -------------------------------------------------------------------

    def plan(self, doc: Mapping[str, Any], rtype: ResourceType, url_id: str | None, query: Query, read_back: bool) -> WritePlan:
        """The batch of a create (``url_id=None``) or update request; raises ProblemError."""
        raw_included = doc.get("included")
        if isinstance(raw_included, list) and len(raw_included) > self.max_included:
            n = self.max_included
            raise ProblemError(too_many(413, ("included", n), "included resources", n, len(raw_included), "server.max_included_resources"))
        issues = Issues()
        check_resource_document(
            doc,
            issues,
            type_matches=lambda raw: isinstance(raw, str) and self.accepted.get(raw) is rtype,
            url_id=url_id,
            id_matches=lambda raw: parse_id(rtype.id_style, raw) == url_id,
        )
        issues.raise_if_any()
        data: Mapping[str, Any] = doc["data"]
        included: list[Mapping[str, Any]] = list(doc.get("included") or [])
        primary_flags = self._primary_flags(data, rtype, url_id, issues)
        items = [self._item_flags(obj, i, issues) for i, obj in enumerate(included)]
        self._duplicates(data, included, issues)
        for index in unconnected(data, included, self.key):
            issues.add(request_data(("included", index), UNCONNECTED))
        issues.raise_if_any()
        assert primary_flags is not None
        primary = self._primary(data, rtype, url_id, primary_flags, issues)
        locals_ = [self._included(obj, i, t, flags, issues) for i, (obj, (t, flags)) in enumerate(zip(included, items, strict=True))]
        issues.raise_if_any()
        everything = [primary, *locals_]
        if primary.ref is None and (locals_ or read_back or primary.kind == "upsert"):
            lid = PRIMARY_LID
            taken = {x.ref.lid for x in locals_ if x.ref is not None and x.ref.type == rtype.name}
            while lid in taken:
                lid += "'"
            primary = dataclasses.replace(primary, ref=Ident(rtype.name, lid=lid, at=primary.at))
            everything[0] = primary
        inputs = self._read(everything, issues)
        issues.raise_if_any()
        return self._build(everything, inputs, query, read_back, issues)

    # --- stage 2: flags, types, duplicates -----------------------------------------------------

    def _primary_flags(self, data: Mapping[str, Any], rtype: ResourceType, url_id: str | None, issues: Issues) -> Flags | None:
        meta = data.get("meta")
        if not isinstance(meta, Mapping) or not meta:
            return NO_FLAGS
        # Oro reports the primary's flags at /meta/..., not /data/meta/... (SetOperationFlags).
        if "update" in meta:
            issues.add(value(("meta", "update"), "The option is not supported."))
        rest = {k: v for k, v in meta.items() if k != "update"}
        flags = operation_flags(rest, ("meta",), issues)
        if flags is None:
            return None
        if "validate" in meta:
            issues.add(value(("meta", "validate"), "The option is not supported."))
        if not flags.upsert:
            return flags
        at = ("meta", "upsert")
        if url_id is not None:
            if self.generated(rtype):
                issues.add(value(at, "The upsert operation is not supported for resources with auto-generated identifier value."))
            elif flags.upsert is not True:
                issues.add(value(at, "Only the entity identifier can be used by the upsert operation to find an entity."))
        elif flags.upsert is True:
            if self.generated(rtype):
                issues.add(value(at, "The upsert operation cannot use the entity identifier to find an entity."))
            elif "id" not in data:
                issues.add(oro_problem(ENTITY_ID, "The identifier is mandatory", ("data", "id")))
        else:
            self._upsert_fields(data, rtype, flags.upsert, at, issues)
        return flags

    def _item_flags(self, obj: Mapping[str, Any], index: int, issues: Issues) -> tuple[ResourceType | None, Flags | None]:
        at: Path = ("included", index)
        rtype = self.accepted.get(obj["type"])
        if rtype is None:
            issues.add(oro_problem(ENTITY_TYPE, f"Unknown entity type: {obj['type']}.", (*at, "type")))
        flags = operation_flags(obj.get("meta"), (*at, "meta"), issues)
        meta = obj.get("meta")
        if isinstance(meta, Mapping) and "validate" in meta and flags is not None:
            issues.add(value((*at, "meta", "validate"), "The option is not supported."))
        if rtype is None or flags is None or not flags.upsert:
            return rtype, flags
        upsert_at = (*at, "meta", "upsert")
        if flags.upsert is True:
            if self.generated(rtype):
                issues.add(value(upsert_at, "The upsert operation cannot use the entity identifier to find an entity."))
        else:
            self._upsert_fields(obj, rtype, flags.upsert, upsert_at, issues)
        return rtype, flags

    def _upsert_fields(self, obj: Mapping[str, Any], rtype: ResourceType, fields: tuple[str, ...], at: Path, issues: Issues) -> None:
        """Upsert by fields: relgate finds resources by attribute values (not by id or relationships)."""
        if any(f not in rtype.attributes for f in fields):
            which = "these fields" if len(fields) > 1 else "this field"
            issues.add(value(at, f"The upsert operation cannot use {which} to find an entity."))
            return
        attributes = obj.get("attributes")
        for f in fields:
            if not isinstance(attributes, Mapping) or f not in attributes:
                issues.add(value(at, f'The "{f}" field does not exist in the request data.'))

    def _duplicates(self, data: Mapping[str, Any], included: Sequence[Mapping[str, Any]], issues: Issues) -> None:
        primary = self.key(data)
        first: dict[Key, int] = {}
        for i, obj in enumerate(included):
            k = self.key(obj)
            if k is None:
                continue
            if k == primary:
                issues.add(request_data(("included", i), "The item duplicates the primary resource object"))
            elif k in first:
                issues.add(request_data(("included", i), f"The item duplicates the item with the index {first[k]}"))
            else:
                first[k] = i

    # --- stage 3: identifiers ----------------------------------------------------------------

    def _primary(self, data: Mapping[str, Any], rtype: ResourceType, url_id: str | None, flags: Flags, issues: Issues) -> Local:
        at: Path = ("data",)
        raw = data.get("id")
        if url_id is not None:
            ref = Ident(rtype.name, url_id)
            if flags.upsert:
                return Local(at, data, rtype, raw, "upsert", ref, ("id",))
            return Local(at, data, rtype, raw, "update", ref)
        if flags.upsert and flags.upsert is not True:
            ref = Ident(rtype.name, lid=raw, at=at) if raw is not None else None
            return Local(at, data, rtype, raw, "upsert", ref, tuple(flags.upsert))
        ref = self._new_ref(rtype, raw, at, issues)
        if flags.upsert:
            return Local(at, data, rtype, raw, "upsert", ref, ("id",))
        return Local(at, data, rtype, raw, "create", ref)

    def _included(self, obj: Mapping[str, Any], index: int, rtype: ResourceType | None, flags: Flags | None, issues: Issues) -> Local:
        assert rtype is not None and flags is not None
        at: Path = ("included", index)
        raw: str = obj["id"]
        if flags.update:
            return Local(at, obj, rtype, raw, "update", self._real_ref(rtype, raw, at, issues))
        if flags.upsert is True:
            return Local(at, obj, rtype, raw, "upsert", self._real_ref(rtype, raw, at, issues), ("id",))
        if flags.upsert:
            return Local(at, obj, rtype, raw, "upsert", Ident(rtype.name, lid=raw, at=at), tuple(flags.upsert))
        return Local(at, obj, rtype, raw, "create", self._new_ref(rtype, raw, at, issues))

    def _new_ref(self, rtype: ResourceType, raw: str | None, at: Path, issues: Issues) -> Ident | None:
        """A resource to create: a temporary id is a lid, a client id (client-id types) is kept."""
        if raw is None:
            return None
        if self.generated(rtype):
            return Ident(rtype.name, lid=raw, at=at)
        return self._real_ref(rtype, raw, at, issues)

    def _real_ref(self, rtype: ResourceType, raw: str, at: Path, issues: Issues) -> Ident | None:
        id_ = parse_id(rtype.id_style, raw)
        if id_ is None:
            issues.add(oro_problem(ENTITY_ID, f'Expected {rtype.id_style} value. Given "{raw}".', (*at, "id")))
            return None
        reason = unaddressable(id_)
        if reason is not None:
            issues.add(oro_problem(ENTITY_ID, reason, (*at, "id")))
            return None
        return Ident(rtype.name, id_, at=at)

    # --- stage 4: attributes and relationships -------------------------------------------------

    def _read(self, everything: Sequence[Local], issues: Issues) -> list[ResourceInput | None]:
        local: dict[Key, Ident] = {}
        scope = LidScope()
        for x in everything:
            if x.ref is None:
                continue
            if x.raw_id is not None:
                local[(x.type.name, x.raw_id)] = x.ref
            if x.ref.lid is not None:
                scope.define(x.type.name, x.ref.lid, x.at)
        out: list[ResourceInput | None] = []
        for x in everything:
            obj = self._localize(x.obj, local)
            out.append(self.reader.resource(obj, x.at, issues, rule="create", expected=None, lids=scope))
        return out

    def _localize(self, obj: Mapping[str, Any], local: Mapping[Key, Ident]) -> dict[str, Any]:
        """A copy of ``obj`` for the JSON:API reader: no identity, temporary ids in linkage as lids."""
        out: dict[str, Any] = {"type": obj["type"]}
        if "attributes" in obj:
            out["attributes"] = obj["attributes"]
        rels = obj.get("relationships")
        if isinstance(rels, Mapping):
            copied: dict[str, Any] = {}
            for name, rel in rels.items():
                if isinstance(rel, Mapping) and "data" in rel:
                    data = rel["data"]
                    if isinstance(data, list):
                        data = [self._identifier(d, local) for d in data]
                    elif isinstance(data, Mapping) and data:
                        data = self._identifier(data, local)
                    copied[name] = {"data": data}
                else:
                    copied[name] = rel
            out["relationships"] = copied
        return out

    def _identifier(self, rio: Any, local: Mapping[Key, Ident]) -> Any:
        k = self.key(rio)
        if k is None:
            return rio
        ref = local.get(k)
        if ref is None:
            return {"type": rio["type"], "id": rio["id"]}
        if ref.lid is not None:
            return {"type": rio["type"], "lid": ref.lid}
        return {"type": rio["type"], "id": ref.id}

    # --- the batch -----------------------------------------------------------------------------

    def _build(
        self, everything: Sequence[Local], inputs: Sequence[ResourceInput | None], query: Query, read_back: bool, issues: Issues
    ) -> WritePlan:
        local_keys = {x.ref.key for x in everything if x.ref is not None}
        writes: list[Op] = []
        links: list[Op] = []
        for x, res in zip(everything, inputs, strict=True):
            assert res is not None
            now: dict[str, Linkage] = {}
            for name, linkage in res.relationships.items():
                rel = x.type.relationships[name]
                if x.kind != "create" and rel.many and not self.writes.may_replace(rel):
                    issues.add(self.writes.replace_forbidden(rel, (*x.at, "relationships", name)))
                if not _mentions(linkage, local_keys):
                    now[name] = linkage
                    continue
                assert x.ref is not None
                at = (*x.at, "relationships", name, "data")
                if rel.many:
                    links.append(Replace(x.ref, name, linkage or (), at=at))  # type: ignore[arg-type]
                else:
                    links.append(SetOne(x.ref, name, linkage, at=at))  # type: ignore[arg-type]
            if x.kind == "create":
                writes.append(Create(x.ref, x.type.name, res.attributes, now, at=x.at))
            elif x.kind == "update":
                assert x.ref is not None
                writes.append(Update(x.ref, res.attributes, now, at=x.at))
            else:
                writes.append(Upsert(x.ref, x.type.name, x.keys, res.attributes, now, at=x.at))
        issues.raise_if_any()
        primary = everything[0]
        ops: list[Op] = []
        probe = None
        if primary.kind == "upsert":
            probe = 0
            ops.append(self._probe(primary, inputs[0]))
        ops += writes
        ops += links
        index = len(ops) - len(writes) - len(links)
        if len(ops) > 1 or read_back or len(everything) > 1:
            assert primary.ref is not None
            index = len(ops)
            ops.append(Get(primary.ref, query))
        gets: list[tuple[int, str]] = []
        for x in everything[1:]:
            assert x.ref is not None and x.raw_id is not None
            gets.append((len(ops), x.raw_id))
            ops.append(Get(x.ref, Query(fields=query.fields)))
        return WritePlan(tuple(ops), index, tuple(gets), probe)

    def _probe(self, primary: Local, res: ResourceInput | None) -> List:
        """A read of the resource a primary upsert will update (empty: it will create one)."""
        assert res is not None
        where: Filter
        if primary.keys == ("id",):
            assert primary.ref is not None and primary.ref.id is not None
            where = Cmp("id", "eq", primary.ref.id)
        else:
            parts: list[Filter] = []
            for k in primary.keys:
                v = res.attributes.get(k)
                parts.append(Cmp(k, "is_null") if v is None else Cmp(k, "eq", v))
            where = parts[0] if len(parts) == 1 else And(tuple(parts))
        return List(primary.type.name, Query(where=where, page=Page(0, 1)))


def unconnected(primary: Mapping[str, Any], included: Sequence[Mapping[str, Any]], key: KeyOf) -> list[int]:
    """Indexes of included items not connected to the primary resource (Oro's algorithm).

    (a) directly: a primary relationship names the item; (b) the item names the primary (which
    needs a primary ``id``); (c) repeatedly: the item names, or is named by, a connected item.
    Matching is on exact (type, id) strings; relationship names do not matter.  What each object
    names is collected once, so a pass is linear in the document (a 3,000-item ``included``
    took 35 s when every check re-read the linkage).
    """
    names = [_named(obj, key) for obj in included]
    by_primary = _named(primary, key)
    checked: dict[Key | None, int] = {}
    to_check: dict[Key | None, int] = {}
    for index, obj in enumerate(included):
        k = key(obj)
        if k is not None and k in by_primary:
            checked[k] = index
        else:
            to_check[k] = index
    primary_key = key(primary)
    if to_check and primary_key is not None:
        for k in list(to_check):
            if primary_key in names[to_check[k]]:
                checked[k] = to_check.pop(k)
    checked_keys = {k for k in checked if k is not None}
    named_by_checked: set[Key] = set().union(*(names[i] for i in checked.values()))
    changed = True
    while changed and to_check:
        changed = False
        for k in list(to_check):
            index = to_check[k]
            if (k is not None and k in named_by_checked) or not names[index].isdisjoint(checked_keys):
                checked[k] = to_check.pop(k)
                if k is not None:
                    checked_keys.add(k)
                named_by_checked |= names[index]
                changed = True
    return list(to_check.values())


def _named(obj: Mapping[str, Any], key: KeyOf) -> set[Key]:
    """The keys every relationship of ``obj`` names (``isDependentObject`` for all targets at once)."""
    out: set[Key] = set()
    rels = obj.get("relationships")
    if not isinstance(rels, Mapping):
        return out
    for rel in rels.values():
        if not isinstance(rel, Mapping) or "data" not in rel:
            continue
        data = rel["data"]
        items = data if isinstance(data, list) else ([data] if isinstance(data, Mapping) and data else [])
        for item in items:
            k = key(item)
            if k is not None:
                out.add(k)
    return out


def _mentions(linkage: Linkage, keys: set[tuple[str, str, str]]) -> bool:
    if linkage is None:
        return False
    if isinstance(linkage, tuple):
        return any(i.key in keys for i in linkage)
    return linkage.key in keys
