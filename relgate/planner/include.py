"""Compound documents (``include``, Strapi ``populate``) from a backend that has none.

The read goes to the backend without ``include`` — with the sparse fields of each type on an
include path widened by the relationships the paths follow, so the linkage is there — and then
relgate fetches the related resources itself, level by level: deduplicated across the whole
document, batched by type with an ``id in (…)`` filter where the backend's filter language has
``in`` (one request per hundred), else one read each.  A resource whose linkage the backend did
not send (a relationship with links only) has it read on its relationship.  Finally every
resource is cut back to the caller's sparse fields.  The primary resources are never repeated in
``included``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterable, Mapping
from typing import Any

from relgate.dialects.client import include_tree
from relgate.model import (
    Cmp,
    Get,
    GetLinkage,
    GetRelated,
    Ident,
    LinkageResult,
    List,
    One,
    Op,
    Page,
    Path,
    Query,
    Resource,
    ResourceList,
    Result,
)
from relgate.ops import members
from relgate.planner.context import Context
from relgate.planner.listing import PAGE
from relgate.planner.steps import PlanStep

READS = (Get, List, GetRelated, GetLinkage)
Tree = Mapping[str, Any]


def needed(op: Op, context: Context) -> bool:
    """Whether ``op`` asks for related resources the backend cannot include itself."""
    return isinstance(op, READS) and bool(op.query.include) and not context.caps.include


def applies(op: Op, context: Context) -> bool:
    return needed(op, context)


def include(op: Op, context: Context) -> Generator[PlanStep, Result, Result]:
    return (yield from read(op, context))


def read(op: Op, context: Context) -> Generator[PlanStep, Result, Result]:
    """``op`` read from the backend, its includes fetched by relgate when the backend has none."""
    if not needed(op, context):
        return (yield PlanStep(op, -1, "read", write=False))
    assert isinstance(op, READS)
    query = op.query
    tree = include_tree(query.include)
    root_type = _root_type(op, context)
    wide = _widened(query.fields, context, root_type, tree)
    base = dataclasses.replace(op, query=dataclasses.replace(query, include=(), fields=wide))  # type: ignore[arg-type]
    result = yield PlanStep(base, -1, "read (the backend has no compound documents: related resources follow)", write=False)
    if isinstance(op, GetLinkage):
        assert isinstance(result, LinkageResult)
        owner = Resource(op.ref.type, op.ref.id or "", {}, {op.relationship: result.linkage})
        included, _ = yield from fetch([owner], tree, query, context, op.at, primary=())
        return LinkageResult(result.linkage, included)
    roots = _roots(result)
    included, have = yield from fetch(roots, tree, query, context, op.at, primary=roots)
    cut = {(r.type, r.id): _cut(have[(r.type, r.id)], query.fields) for r in roots}
    if isinstance(result, One):
        return One(None if result.item is None else cut[(result.item.type, result.item.id)], included)
    assert isinstance(result, ResourceList)
    return ResourceList(tuple(cut[(r.type, r.id)] for r in result.items), result.total, included)


def fetch(
    roots: Iterable[Resource], tree: Tree, query: Query, context: Context, at: Path, *, primary: Iterable[Resource]
) -> Generator[PlanStep, Result, tuple[tuple[Resource, ...], dict[tuple[str, str], Resource]]]:
    """The resources ``tree``'s paths reach from ``roots`` (cut to the caller's fields), each once;
    and every resource as read (roots with the linkage read for them), by type and id."""
    have: dict[tuple[str, str], Resource] = {(r.type, r.id): r for r in roots}
    skip = {(r.type, r.id) for r in primary}
    out: dict[tuple[str, str], None] = {}
    level: list[tuple[Resource, Tree]] = [(r, tree) for r in roots]
    seen: set[tuple[str, str, int]] = set()
    while level:
        reached: list[tuple[Ident, Tree]] = []
        for resource, sub in level:
            for name, deeper in sub.items():
                if name not in resource.relationships:  # sent with links only: read its linkage
                    got = yield PlanStep(GetLinkage(resource.ident, name, at=at), -1, "read linkage to include", write=False)
                    assert isinstance(got, LinkageResult)
                    resource = dataclasses.replace(resource, relationships={**resource.relationships, name: got.linkage})
                    have[(resource.type, resource.id)] = resource
                reached.extend((i, deeper) for i in members(resource.relationships[name]) if i.id is not None)
        wanted: dict[str, dict[str, None]] = {}
        for ident, _ in reached:
            if (ident.type, ident.id) not in have:
                wanted.setdefault(ident.type, {})[ident.id or ""] = None
        for type_name, ids in wanted.items():
            wide = _widened(query.fields, context, type_name, _subtrees(reached, type_name))
            fields = {type_name: wide[type_name]} if type_name in wide else {}
            found = yield from _read_many(type_name, list(ids), fields, context, at)
            have.update({(r.type, r.id): r for r in found})
        level = []
        for ident, deeper in reached:
            key = (ident.type, ident.id or "")
            if key not in have:
                continue  # linked but gone (the backend answered without it)
            if key not in skip:
                out[key] = None
            if deeper and (key[0], key[1], id(deeper)) not in seen:
                seen.add((key[0], key[1], id(deeper)))
                level.append((have[key], deeper))
    return tuple(_cut(have[k], query.fields) for k in out), have


def _read_many(type_name: str, ids: list[str], fields: Mapping[str, frozenset[str]], context: Context, at: Path
               ) -> Generator[PlanStep, Result, list[Resource]]:  # fmt: skip
    """Resources by id: ``id in (…)`` a page at a time where the backend filters so, else one read each."""
    out: list[Resource] = []
    if "in" in context.caps.filter_ops:
        pending = ids
        while pending:
            chunk = tuple(pending[:PAGE])
            query = Query(where=Cmp("id", "in", chunk), page=Page(0, len(chunk)), fields=dict(fields))
            page = yield PlanStep(List(type_name, query, at=at), -1, f"read the {type_name} to include", write=False)
            assert isinstance(page, ResourceList)
            got = {r.id for r in page.items}
            out.extend(page.items)
            rest = [i for i in pending[len(chunk) :]]
            short = [i for i in chunk if i not in got]
            # a backend that cut the page below the chunk: ask again for the rest (gone ones drop out)
            pending = (short if page.items and len(page.items) < len(chunk) else []) + rest
        return out
    for id_ in ids:
        one = yield PlanStep(
            Get(Ident(type_name, id_), Query(fields=dict(fields)), at=at), -1, f"read one {type_name} to include", write=False
        )
        assert isinstance(one, One)
        if one.item is not None:
            out.append(one.item)
    return out


def _root_type(op: Op, context: Context) -> str:
    if isinstance(op, List):
        return op.type
    if isinstance(op, GetRelated):
        return context.relationship(op.ref.type, op.relationship).target
    return op.ref.type  # type: ignore[union-attr]


def _subtrees(reached: list[tuple[Ident, Tree]], type_name: str) -> Tree:
    merged: dict[str, Any] = {}
    for ident, deeper in reached:
        if ident.type == type_name:
            merged.update(deeper)
    return merged


def _widened(fields: Mapping[str, frozenset[str]], context: Context, type_name: str, tree: Tree) -> dict[str, frozenset[str]]:
    """The caller's sparse fields, with ``type_name``'s widened by the relationships ``tree`` follows."""
    out = dict(fields)
    if type_name in out and tree:
        out[type_name] = out[type_name] | frozenset(tree)
    return out


def _roots(result: Result) -> list[Resource]:
    if isinstance(result, One):
        return [] if result.item is None else [result.item]
    if isinstance(result, ResourceList):
        return list(result.items)
    return []


def _cut(resource: Resource, fields: Mapping[str, frozenset[str]]) -> Resource:
    names = fields.get(resource.type)
    if names is None:
        return resource
    return dataclasses.replace(
        resource,
        attributes={k: v for k, v in resource.attributes.items() if k in names},
        relationships={k: v for k, v in resource.relationships.items() if k in names},
    )
