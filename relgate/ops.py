"""The algebra of canonical operations that does not depend on any target.

Beside the operation types (as Orbit keeps ``recordsReferencedByOperations`` beside its
operations): which identifiers an op references, and the substitution of local ids by the ids
a target assigned earlier in the batch.  A target that carries a batch out op by op (a backend
over HTTP) binds each ``lid`` when its create answers and substitutes it into later ops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from relgate.model import (
    Add,
    After,
    Before,
    Create,
    Delete,
    Get,
    GetLinkage,
    GetRelated,
    Ident,
    Linkage,
    LinkageResult,
    One,
    Op,
    Position,
    Problem,
    ProblemError,
    Query,
    Remove,
    Replace,
    Result,
    SetOne,
    Update,
    Upsert,
)

Lids = Mapping[tuple[str, str], str]
"""``(type, lid) -> id`` for the resources created so far in a batch."""


def unknown_lid(ident: Ident) -> ProblemError:
    return ProblemError(
        Problem(
            400,
            "unknown-lid",
            "Unknown local id",
            f"No resource of type '{ident.type}' with lid '{ident.lid}' was created before this point.",
            at=ident.at or None,
        )
    )


def resolve(ident: Ident, lids: Lids) -> Ident:
    """``ident`` with its lid replaced by the id it was bound to (``at`` kept)."""
    if ident.lid is None:
        return ident
    id_ = lids.get((ident.type, ident.lid))
    if id_ is None:
        raise unknown_lid(ident)
    return Ident(ident.type, id_, at=ident.at)


def _linkage(value: Linkage, lids: Lids) -> Linkage:
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(resolve(i, lids) for i in value)
    return resolve(value, lids)


def _position(position: Position | None, lids: Lids) -> Position | None:
    if isinstance(position, (Before, After)):
        return dataclasses.replace(position, anchor=resolve(position.anchor, lids))
    return position


def created_lid(op: Op) -> tuple[str, str] | None:
    """The ``(type, lid)`` an op defines, if it creates a resource named by a lid."""
    if isinstance(op, (Create, Upsert)) and op.ref is not None and op.ref.lid is not None:
        return (op.type, op.ref.lid)
    return None


def substitute(op: Op, lids: Lids) -> Op:
    """``op`` with every referenced lid replaced by its id (a create keeps the lid it defines).

    Raises a 400 ``unknown-lid`` problem at the identifier for a lid not bound yet.
    """
    if not lids and not _mentions_lid(op):
        return op
    if isinstance(op, (Create, Upsert)):
        return dataclasses.replace(op, relationships={k: _linkage(v, lids) for k, v in op.relationships.items()})
    if isinstance(op, Update):
        return dataclasses.replace(op, ref=resolve(op.ref, lids), relationships={k: _linkage(v, lids) for k, v in op.relationships.items()})
    if isinstance(op, SetOne):
        return dataclasses.replace(op, ref=resolve(op.ref, lids), target=None if op.target is None else resolve(op.target, lids))
    if isinstance(op, Add):
        return dataclasses.replace(
            op,
            ref=resolve(op.ref, lids),
            targets=tuple(resolve(t, lids) for t in op.targets),
            position=_position(op.position, lids),
            positions=tuple(_position(p, lids) for p in op.positions),  # type: ignore[misc]
        )
    if isinstance(op, (Replace, Remove)):
        return dataclasses.replace(op, ref=resolve(op.ref, lids), targets=tuple(resolve(t, lids) for t in op.targets))
    if isinstance(op, (Get, GetLinkage, GetRelated)) or hasattr(op, "ref"):
        return dataclasses.replace(op, ref=resolve(op.ref, lids))  # type: ignore[arg-type, call-arg]
    return op


def distinct(idents: Iterable[Ident]) -> tuple[Ident, ...]:
    """``idents`` without repeats (by type and id or lid), each at its first place."""
    seen: set[tuple[str, str, str]] = set()
    out: list[Ident] = []
    for i in idents:
        if i.key not in seen:
            seen.add(i.key)
            out.append(i)
    return tuple(out)


def linked(relationships: Mapping[str, Linkage]) -> tuple[Ident, ...]:
    """Every identifier a create's or an update's linkage names, in order."""
    out: list[Ident] = []
    for value in relationships.values():
        if isinstance(value, tuple):
            out.extend(value)
        elif isinstance(value, Ident):
            out.append(value)
    return tuple(out)


def referenced(op: Op) -> tuple[Ident, ...]:
    """Every identifier ``op`` names (its own ref, linkage targets, anchors)."""
    out: list[Ident] = []
    ref = getattr(op, "ref", None)
    if isinstance(ref, Ident) and not isinstance(op, (Create, Upsert)):
        out.append(ref)
    out.extend(linked(getattr(op, "relationships", {})))
    if isinstance(op, SetOne) and op.target is not None:
        out.append(op.target)
    out.extend(getattr(op, "targets", ()))
    for position in (getattr(op, "position", None), *getattr(op, "positions", ())):
        if isinstance(position, (Before, After)):
            out.append(position.anchor)
    return tuple(out)


def _mentions_lid(op: Op) -> bool:
    return any(i.lid is not None for i in referenced(op))


# --- inverses (compensation) -------------------------------------------------------------------

LINKAGE_OPS = (Add, Remove, Replace, SetOne)


def before_read(op: Op) -> Op | None:
    """The read that captures what ``op`` changes, so that its inverse can be computed.

    A create's inverse comes from its result and a delete has none: both need no read.
    """
    if isinstance(op, LINKAGE_OPS):
        return GetLinkage(op.ref, op.relationship, at=op.at)
    if isinstance(op, Update):
        return Get(op.ref, Query(), at=op.at)
    return None


def members(linkage: Linkage) -> tuple[Ident, ...]:
    """A linkage as a tuple of identifiers (a to-one as zero or one)."""
    if linkage is None:
        return ()
    return linkage if isinstance(linkage, tuple) else (linkage,)


def inverse(op: Op, before: Result, result: Result, *, replace: bool = True) -> Op | None:
    """The op that takes ``op`` back, given the read ``before`` it and its ``result``.

    ``replace``: whether the backend allows a full replacement of the relationship (the exact
    inverse of a linkage change, order included); otherwise the inverse is the diff (an add of
    what was removed, a remove of what was added). ``None`` when nothing needs undoing or it
    cannot be undone (a delete).
    """
    if isinstance(op, Create):
        if isinstance(result, One) and result.item is not None:
            return Delete(result.item.ident, at=op.at)
        return None
    if isinstance(op, LINKAGE_OPS):
        assert isinstance(before, LinkageResult), "a linkage op's inverse needs the linkage read before it"
        old = before.linkage
        if isinstance(op, SetOne) or not isinstance(old, tuple):
            return SetOne(op.ref, op.relationship, old if not isinstance(old, tuple) else None, at=op.at)
        if replace:
            return Replace(op.ref, op.relationship, old, at=op.at)
        was = {i.key for i in old}
        if isinstance(op, Add):
            added = tuple(t for t in distinct(op.targets) if t.key not in was)
            return Remove(op.ref, op.relationship, added, at=op.at) if added else None
        if isinstance(op, Remove):
            gone = tuple(t for t in distinct(op.targets) if t.key in was)
            return Add(op.ref, op.relationship, gone, at=op.at) if gone else None
        # a Replace's diff is two ops: a rule splits it into an add and a remove before this
        raise ValueError("the inverse of a Replace without replacement is an add and a remove: split it first")
    if isinstance(op, Update):
        assert isinstance(before, One) and before.item is not None, "an update's inverse needs the resource read before it"
        item = before.item
        attributes = {k: item.attributes.get(k) for k in op.attributes}
        relationships = {k: item.relationships.get(k) for k in op.relationships}
        return Update(op.ref, attributes, relationships, at=op.at, returning=False)
    return None
