"""Reads on a backend whose ordered to-manys relgate orders (``order = "overlay"``).

The read goes to the backend (its includes fetched by relgate when it has none:
:mod:`relgate.planner.include`); then every ordered linkage in the answer — of the primary
resources, of included ones, a relationship's own linkage, the members of a related read —
is put in overlay order (:func:`relgate.planner.overlay.ordered`), one overlay read per
relationship for all owners in the answer.  Members the overlay does not know go last in the
backend's order and are recorded there; keys of members the backend no longer has are dropped
(a lenient write: one losing to a concurrent write is skipped, the answer is right either way).

A related read of an ordered to-many (``GET /restaurants/1/categories``) asks the backend for
every member and cuts the caller's page itself: the backend's pages follow its own order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator

from relgate.dialects.client import include_tree
from relgate.model import Get, GetLinkage, GetRelated, Ident, LinkageResult, List, One, Op, Page, Resource, ResourceList, Result
from relgate.planner import include
from relgate.planner.context import Context
from relgate.planner.ordered_writes import OWN, overlaid
from relgate.planner.overlay import OverlayRead, OverlayState, OverlayWrite, ordered, undo_of
from relgate.planner.steps import PlanStep

KINDS = (Get, List, GetRelated, GetLinkage)


def applies(op: Op, context: Context) -> bool:
    if context.backend.order != "overlay" or context.caps.positions:
        return False
    return any(overlaid(context, r) for t in context.schema.types.values() for r in t.relationships.values())


def read(op: Op, context: Context) -> Generator[PlanStep, Result, Result]:
    assert isinstance(op, KINDS)
    related = isinstance(op, GetRelated) and overlaid(context, context.relationship(op.ref.type, op.relationship))
    own = related and not op.query.sort  # the backend's sort wins over the kept order
    page = op.query.page
    base = dataclasses.replace(op, query=dataclasses.replace(op.query, page=None)) if own else op
    result = yield from include.read(base, context)
    owners: dict[tuple[str, str], dict[str, tuple[Ident, ...]]] = {}
    for r in _resources(result):
        for name, linkage in r.relationships.items():
            if isinstance(linkage, tuple) and overlaid(context, context.relationship(r.type, name)):
                owners.setdefault((r.type, name), {})[r.id] = linkage
    if isinstance(op, (GetLinkage, GetRelated)) and isinstance(result, (LinkageResult, ResourceList)):
        rel = context.relationship(op.ref.type, op.relationship)
        if overlaid(context, rel) and (isinstance(result, LinkageResult) or own):
            linkage = result.linkage if isinstance(result, LinkageResult) else tuple(i.ident for i in result.items)
            if isinstance(linkage, tuple):
                owners.setdefault((op.ref.type, rel.name), {})[op.ref.id or ""] = linkage
    order: dict[tuple[str, str, str], tuple[Ident, ...]] = {}
    for (type_name, name), lists in owners.items():
        state = yield PlanStep(OverlayRead(type_name, name, tuple(lists), at=op.at), -1, "read the order relgate keeps", write=False)
        assert isinstance(state, OverlayState)
        for owner, linkage in lists.items():
            kept = state.of(owner)
            if not kept.synced:
                continue  # relgate never ordered this list: the backend's order stands
            merged = ordered(linkage, kept.keys)
            order[(type_name, owner, name)] = merged.members
            if merged.changed:
                fix = OverlayWrite(type_name, name, owner, kept.version, set=merged.append, drop=merged.drop, strict=False, at=op.at)
                yield PlanStep(fix, -1, "reconcile the order relgate keeps with the backend's members", undo=undo_of(fix))
    if not order:
        return _paged(result, page, op.query.include) if own else result
    result = _reordered(result, order)
    if isinstance(op, GetLinkage) and isinstance(result, LinkageResult):
        key = (op.ref.type, op.ref.id or "", op.relationship)
        if key in order:
            result = LinkageResult(order[key], result.included)
    if own and isinstance(result, ResourceList):
        key = (op.ref.type, op.ref.id or "", op.relationship)  # type: ignore[union-attr]
        if key in order:
            by_id = {(r.type, r.id): r for r in result.items}
            items = tuple(by_id[(i.type, i.id or "")] for i in order[key] if (i.type, i.id or "") in by_id)
            result = ResourceList(items, result.total, result.included)
        result = _paged(result, page, op.query.include)
    return result


def _resources(result: Result) -> list[Resource]:
    if isinstance(result, One):
        return ([result.item] if result.item else []) + list(result.included)
    if isinstance(result, ResourceList):
        return list(result.items) + list(result.included)
    if isinstance(result, LinkageResult):
        return list(result.included)
    return []


def _reordered(result: Result, order: dict[tuple[str, str, str], tuple[Ident, ...]]) -> Result:
    def fix(r: Resource) -> Resource:
        changed = {n: order[(r.type, r.id, n)] for n in r.relationships if (r.type, r.id, n) in order}
        return dataclasses.replace(r, relationships={**r.relationships, **changed}) if changed else r

    if isinstance(result, One):
        return One(None if result.item is None else fix(result.item), tuple(fix(r) for r in result.included))
    if isinstance(result, ResourceList):
        return ResourceList(tuple(fix(r) for r in result.items), result.total, tuple(fix(r) for r in result.included))
    if isinstance(result, LinkageResult):
        return LinkageResult(result.linkage, tuple(fix(r) for r in result.included))
    return result


def _paged(result: Result, page: Page | None, paths: tuple[tuple[str, ...], ...]) -> Result:
    """The caller's page of every member (the total is every member), with what it includes."""
    if not isinstance(result, ResourceList):
        return result
    items = result.items
    offset = page.offset if page is not None else 0
    limit = page.limit if page is not None else None
    window = items[offset:] if limit is None else items[offset : offset + limit]
    return ResourceList(window, len(items), _reachable(window, result.included, paths))


def _reachable(roots: tuple[Resource, ...], included: tuple[Resource, ...], paths: tuple[tuple[str, ...], ...]) -> tuple[Resource, ...]:
    """The included resources the include paths reach from ``roots`` (full linkage, as JSON:API wants)."""
    if not included:
        return included
    by_key = {(r.type, r.id): r for r in included}
    keep: set[tuple[str, str]] = set()
    level = [(r, include_tree(paths)) for r in roots]
    while level:
        following = []
        for resource, tree in level:
            for name, deeper in tree.items():
                linkage = resource.relationships.get(name)
                for ident in linkage if isinstance(linkage, tuple) else (() if linkage is None else (linkage,)):
                    key = (ident.type, ident.id or "")
                    if key in by_key and key not in keep:
                        keep.add(key)
                        following.append((by_key[key], deeper))
        level = following
    return tuple(r for r in included if (r.type, r.id) in keep)


OWN.add(read)
