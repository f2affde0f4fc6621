"""Writes to an ordered to-many on a backend without positions, with ``order = "overlay"``.

The backend gets the membership change (through whatever rule the table has for it without the
order: the op itself, an idempotent add, a diff …); relgate's overlay gets the order
(:mod:`relgate.planner.overlay`).  The backend write always comes first, so a failed backend
write leaves the overlay unchanged; a failed overlay write (a concurrent change: 409) undoes the
backend write.  Each plan:

- positional (or plain) ``Add``: read the overlay around the targets and anchors (a few indexed
  look-ups, whatever the list's length) → [when the overlay does not hold this list yet, or an
  anchor is unknown to it: read the backend's members and every key, and reconcile] → the add
  (its undo: remove the members that were new) → the new keys (undo: the old ones);
- ordered ``Replace``, and a ``Create`` / ``Update`` / ``Upsert`` with ordered linkage: the write → the whole
  order as fresh keys;
- ``Remove``: the removal → its members' keys dropped;
- ``Delete`` of an owner: the delete → its lists forgotten.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator

from relgate.model import Add, Create, Delete, GetLinkage, LinkageResult, One, Op, Remove, Replace, Result, Update, Upsert
from relgate.ops import distinct, inverse, members
from relgate.planner.context import Context
from relgate.planner.overlay import (
    OverlayRead,
    OverlayState,
    OverlayWrite,
    anchors,
    fresh_keys,
    interest,
    ordered,
    placements,
    undo_of,
)
from relgate.planner.steps import PlanStep, Undo
from relgate.schema import Relationship

KINDS = (Add, Replace, Remove, Create, Update, Upsert, Delete)


def overlaid(context: Context, rel: Relationship) -> bool:
    """Whether relgate keeps ``rel``'s order for this backend (``order = "overlay"``, no positions)."""
    return context.backend.order == "overlay" and rel.many and rel.ordered and not context.caps.positions


def _ordered_linkage(op: Create | Update | Upsert, context: Context) -> list[str]:
    rtype = context.schema[op.ref.type if isinstance(op, Update) else op.type]
    return [n for n, v in op.relationships.items() if isinstance(v, tuple) and overlaid(context, rtype.relationships[n])]


def applies(op: Op, context: Context) -> bool:
    if context.backend.order != "overlay":
        return False
    if isinstance(op, (Add, Replace, Remove)):
        return overlaid(context, context.relationship(op.ref.type, op.relationship))
    if isinstance(op, (Create, Update, Upsert)):
        return bool(_ordered_linkage(op, context))
    if isinstance(op, Delete):
        return any(overlaid(context, r) for r in context.schema[op.ref.type].relationships.values())
    return False


def write(op: Op, context: Context) -> Generator[PlanStep, Result, Result]:
    if isinstance(op, Add):
        return (yield from _add(op, context))
    if isinstance(op, Replace):
        yield from membership(op, context)
        yield _record(op.ref.type, op.relationship, op.ref.id or "", fresh_keys(op.targets), op)
        return None
    if isinstance(op, Remove):
        yield from membership(op, context)
        ids = tuple(t.id for t in distinct(op.targets) if t.id is not None)
        drop = OverlayWrite(op.ref.type, op.relationship, op.ref.id or "", None, drop=ids, at=op.at)
        yield PlanStep(drop, -1, "drop the removed members from the order relgate keeps", undo=undo_of(drop))
        return None
    if isinstance(op, Delete):
        yield from membership(op, context)
        for rel in context.schema[op.ref.type].relationships.values():
            if overlaid(context, rel):
                forget = OverlayWrite(op.ref.type, rel.name, op.ref.id or "", None, forget=True, at=op.at)
                yield PlanStep(forget, -1, "forget the order relgate kept for the deleted resource", undo=undo_of(forget))
        return None
    assert isinstance(op, (Create, Update, Upsert))
    sent = op if isinstance(op, Update) else dataclasses.replace(op, returning=True)  # its id keys the order
    result = yield from membership(sent, context)
    owner = op.ref.id if isinstance(op, Update) else (result.item.id if isinstance(result, One) and result.item else None)
    if owner is not None:
        type_name = op.ref.type if isinstance(op, Update) else op.type
        for name in _ordered_linkage(op, context):
            yield _record(type_name, name, owner, fresh_keys(op.relationships[name]), op)  # type: ignore[arg-type]
    return result if op.returning else None


def _record(type_name: str, rel: str, owner: str, keys: tuple[tuple[str, str], ...], op: Op) -> PlanStep:
    """The whole order of one list, as fresh keys (a replacement: whatever was kept before goes)."""
    step = OverlayWrite(type_name, rel, owner, None, set=keys, clear=True, at=getattr(op, "at", ()))
    return PlanStep(step, -1, "record the order (relgate keeps it: the backend has none)", undo=undo_of(step))


def _add(op: Add, context: Context) -> Generator[PlanStep, Result, Result]:
    type_name, name, owner = op.ref.type, op.relationship, op.ref.id or ""
    read = OverlayRead(type_name, name, (owner,), around=interest(op), at=op.at)
    state = yield PlanStep(read, -1, "read the order relgate keeps around the members placed", write=False)
    assert isinstance(state, OverlayState)
    kept = state.of(owner)
    keys, version = dict(kept.keys), kept.version
    append: tuple[tuple[str, str], ...] = ()
    drop: tuple[str, ...] = ()
    sync = not kept.synced or any(a.id not in keys for a in anchors(op))
    if sync:  # the overlay does not hold this list (yet), or not every anchor: reconcile with the backend
        got = yield PlanStep(GetLinkage(op.ref, name, at=op.at), -1, "read the members (to reconcile the order relgate keeps)", write=False)
        assert isinstance(got, LinkageResult)
        every = yield PlanStep(OverlayRead(type_name, name, (owner,), at=op.at), -1, "read every key relgate keeps", write=False)
        assert isinstance(every, OverlayState)
        full = every.of(owner)
        merged = ordered(members(got.linkage), full.keys)
        keys = {**{m: k for m, k in full.keys.items() if m not in merged.drop}, **dict(merged.append)}
        version, append, drop = full.version, merged.append, merged.drop
        present = {m.id for m in merged.members if m.id is not None}
    else:
        present = set(keys)
    placed = dict(placements(op, keys, frozenset(present)))  # an invalid position is refused here, before any write
    new = tuple(t for t in distinct(op.targets) if t.id not in present)
    plain = Add(op.ref, name, op.targets, at=op.at)
    yield from membership(plain, context, undo=Remove(op.ref, name, new, at=op.at) if new else _nothing)
    keys_out = tuple({**dict(append), **placed}.items())
    if keys_out or drop or sync:
        step = OverlayWrite(type_name, name, owner, version, set=keys_out, drop=tuple(m for m in drop if m not in placed), at=op.at)
        yield PlanStep(step, -1, "record the new order (relgate keeps it: the backend has none)", undo=undo_of(step))
    return None


def _nothing(_result: Result) -> None:
    """The undo of an add of members already present: nothing to take back."""
    return None


def membership(op: Op, context: Context, *, undo: Undo = None) -> Generator[PlanStep, Result, Result]:
    """The backend's part of ``op`` (without order): the rule the table has for it, guarded.

    When that rule is the op itself and ``undo`` is given, the step carries ``undo`` (an add's:
    remove the members that were new) instead of reading the linkage for one.
    """
    from relgate.planner.rules import RULES, native

    for entry in RULES:
        if entry.rule not in OWN and isinstance(op, entry.kinds) and entry.applies(op, context):
            return (yield from entry.rule(op, dataclasses.replace(context, guarded=True)))
    if undo is not None and isinstance(op, Add):
        return (yield PlanStep(op, -1, "add the members (the backend keeps no order)", undo=undo))
    if isinstance(op, Create):
        return (yield PlanStep(op, -1, "create", undo=lambda result: inverse(op, None, result)))
    return (yield from native(op, dataclasses.replace(context, guarded=True)))


OWN: set[object] = {write}
"""The order-overlay rules (the ordered reads' rule adds itself), skipped when the backend's part is chosen."""
