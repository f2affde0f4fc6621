"""Aggregates (0.17's ``/eval``) on a backend without them: computed by relgate over the backend's pages.

Counts of rows alone (``count`` of ``*`` or ``id``) are one request when the backend counts (the
total of a one-resource page).  Anything else reads every matching resource (only the attributes
the functions need) up to the backend's ``max_emulated_rows``; past it the caller gets a 400
naming the limit.  Values follow SQL, as the store computes them: ``NULL``s are skipped, ``sum``,
``avg``, ``min`` and ``max`` of nothing are ``null``, ``avg`` is a float, ``count`` of an
attribute counts its non-null values.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from relgate.model import Aggregate, Aggregates, List, Op, Page, Problem, ProblemError, Query, Resource, ResourceList, Result
from relgate.planner.context import Context
from relgate.planner.listing import matching
from relgate.planner.steps import PlanStep

FUNCTIONS = frozenset({"sum", "avg", "min", "max", "count"})
ROWS = frozenset({"*", "id"})
"""Fields that stand for the row itself (``count(*)``)."""


def applies(op: Op, context: Context) -> bool:
    return not context.caps.aggregate


def aggregate(op: Op, context: Context) -> Generator[PlanStep, Result, Result]:
    assert isinstance(op, Aggregate)
    _check(op, context)
    if not op.functions:
        return Aggregates({})
    if all(fn == "count" and f in ROWS for fn, f in op.functions) and context.caps.counts:
        query = Query(where=op.where, page=Page(0, 1), count=True)
        page = yield PlanStep(List(op.type, query, at=op.at), -1, "count what the filter matches", write=False)
        if isinstance(page, ResourceList) and page.total is not None:
            return Aggregates({key: page.total for key in op.functions})
    needed = frozenset(f for _, f in op.functions if f not in ROWS)
    rows = yield from matching(
        op.type, op.where, context, what="compute aggregate functions", at=op.at,
        fields={op.type: needed} if needed else None, purpose="read what the functions run over",
    )  # fmt: skip
    integer_ids = context.schema[op.type].id_style == "integer"
    return Aggregates({(fn, f): compute(fn, f, rows, integer_ids=integer_ids) for fn, f in op.functions})


def compute(function: str, field: str, rows: Sequence[Resource], *, integer_ids: bool = True) -> Any:
    """One aggregate over resources read from the backend (SQL's rules for ``NULL``)."""
    if field in ROWS:
        values: list[Any] = [int(r.id) if integer_ids and r.id.lstrip("-").isdigit() else r.id for r in rows]
    else:
        values = [v for r in rows if (v := r.attributes.get(field)) is not None]
    if function == "count":
        return len(values)
    if not values:
        return None
    if function == "sum":
        return sum(values)
    if function == "avg":
        return float(sum(values)) / len(values)
    return min(values) if function == "min" else max(values)


def _check(op: Aggregate, context: Context) -> None:
    rtype = context.schema[op.type]
    for fn, field in op.functions:
        if fn not in FUNCTIONS:
            raise ProblemError(Problem(400, "invalid", "Unknown function", f"Unknown aggregate function '{fn}'.", at=op.at or None))
        if field not in ROWS and field not in rtype.attributes:
            raise ProblemError(
                Problem(400, "unknown-field", "Unknown field", f"'{rtype.name}' has no attribute '{field}'.", at=op.at or None)
            )
