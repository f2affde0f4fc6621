"""Bulk update / delete by filter (0.17's ``PATCH`` / ``DELETE /person?q=…``) on a backend without them.

The rule lists what the filter matches over every page (:func:`relgate.planner.listing.matching`,
the filter in the backend's own language; refused before anything is written when it cannot be
said, or when more than ``max_emulated_rows`` match), then changes each match with one request,
and answers the count 0.17 reports (``num_modified`` / ``num_deleted``).

Updates read, in the listing, the attributes they change, so each carries its exact undo (the
old values): a failure part-way restores the ones already updated.  Deletes cannot be undone
exactly — they come last in their plan and a failure part-way reports each applied delete as
not compensated (``meta.steps``).
"""

from __future__ import annotations

from collections.abc import Generator

from relgate.model import Count, Delete, DeleteWhere, Op, Result, Update, UpdateWhere
from relgate.planner.context import Context
from relgate.planner.listing import matching
from relgate.planner.steps import PlanStep


def applies(op: Op, context: Context) -> bool:
    return not context.caps.bulk_where


def bulk(op: Op, context: Context) -> Generator[PlanStep, Result, Result]:
    if isinstance(op, UpdateWhere):
        return (yield from _update_where(op, context))
    assert isinstance(op, DeleteWhere)
    return (yield from _delete_where(op, context))


def _update_where(op: UpdateWhere, context: Context) -> Generator[PlanStep, Result, Result]:
    names = frozenset(op.attributes)
    fields = {op.type: names} if names else None  # the old values of what changes: each update's undo
    what = "update every resource matching a filter in one request"
    rows = yield from matching(op.type, op.where, context, what=what, at=op.at, fields=fields)
    for row in rows:
        update = Update(row.ident, dict(op.attributes), {}, at=op.at, returning=False)
        read = all(k in row.attributes for k in op.attributes)  # else its old values are unknown: no undo
        undo = Update(row.ident, {k: row.attributes[k] for k in op.attributes}, {}, at=op.at, returning=False) if read else None
        if names:
            yield PlanStep(update, -1, "update one resource the filter matched", undo=undo)
    return Count(len(rows))


def _delete_where(op: DeleteWhere, context: Context) -> Generator[PlanStep, Result, Result]:
    what = "delete every resource matching a filter in one request"
    rows = yield from matching(op.type, op.where, context, what=what, at=op.at)
    for row in rows:
        yield PlanStep(Delete(row.ident, at=op.at), -1, "delete one resource the filter matched (cannot be undone)")
    return Count(len(rows))
