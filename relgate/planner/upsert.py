"""Upsert in a guarded plan: look the row up first, so that its undo is known.

A backend has no upsert; the client half would find-then-create-or-update inside one step,
which leaves the plan unable to say what to undo (delete what it made, or restore what it
changed).  Guarded, the look-up is a step of its own: a listing by the upsert's keys, then a
``Create`` (undo: delete it) or an ``Update`` of the one match (undo: its attributes and linkage
as read).  0.17's remove-by-fields is such an upsert: when the ``Remove`` after it fails, the row
the look-up had to create is deleted again.
"""

from __future__ import annotations

from collections.abc import Generator

from relgate.model import (
    And,
    Cmp,
    Create,
    Filter,
    Get,
    List,
    One,
    Op,
    Page,
    Problem,
    ProblemError,
    Query,
    ResourceList,
    Result,
    Update,
    Upsert,
)
from relgate.ops import inverse
from relgate.planner.context import Context
from relgate.planner.steps import PlanStep


def applies(op: Op, context: Context) -> bool:
    """Guarded plans on a backend that can filter by equality (else the client half's own look-up)."""
    if not (context.guarded and isinstance(op, Upsert) and "eq" in context.caps.filter_ops):
        return False
    nulls = any((op.ref is None or op.ref.id is None) if k == "id" else op.attributes.get(k) is None for k in op.keys)
    return not nulls or "is_null" in context.caps.filter_ops


def upsert(op: Op, context: Context) -> Generator[PlanStep, Result, Result]:
    assert isinstance(op, Upsert)
    values = {k: (op.ref.id if k == "id" and op.ref is not None else op.attributes.get(k)) for k in op.keys}
    where: list[Filter] = [Cmp(k, "eq", v) if v is not None else Cmp(k, "is_null") for k, v in values.items()]
    query = Query(where=where[0] if len(where) == 1 else And(tuple(where)), page=Page(0, 2))
    found = yield PlanStep(List(op.type, query, at=op.at), -1, "find the row the upsert names", write=False)
    assert isinstance(found, ResourceList)
    if len(found.items) > 1:
        raise ProblemError(Problem(409, "conflict", "Conflict", "The upsert keys match more than one resource.", at=op.at or None))
    if not found.items:
        create = Create(op.ref, op.type, op.attributes, op.relationships, op.at, op.returning)
        return (yield PlanStep(create, -1, "create (the upsert found no row)", undo=lambda result: inverse(create, None, result)))
    row = found.items[0]
    update = Update(row.ident, op.attributes, op.relationships, op.at, op.returning)
    before: Result = One(row)
    if any(name not in row.relationships for name in op.relationships):  # the listing left some linkage out
        before = yield PlanStep(Get(row.ident, Query(), at=op.at), -1, "read what the update changes (for its undo)", write=False)
    return (yield PlanStep(update, -1, "update (the upsert found its row)", undo=inverse(update, before, None)))
