"""Rewrites: how one caller op becomes steps the backend can carry out, chosen by capability.

A rule is a generator function ``rule(op, context)`` that yields :class:`PlanStep` values, is sent
each step's canonical result, and returns the caller op's result (what the caller's dialect
renders).  It may raise :class:`~relgate.model.ProblemError` (a refusal, a concurrent change):
the plan then undoes what was applied.

:data:`RULES` is the table, tried in order: the first entry whose op kind matches and whose
``applies(op, context)`` holds is used; :func:`native` (one step, the op itself) otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

from relgate.model import Aggregate, Create, Delete, DeleteWhere, Get, GetLinkage, GetRelated, List, Op, Result, UpdateWhere, Upsert
from relgate.ops import before_read, inverse
from relgate.planner import upsert
from relgate.planner.context import Context
from relgate.planner.steps import PlanStep

Rule = Callable[[Op, Context], Generator[PlanStep, Result, Result]]
Applies = Callable[[Op, Context], bool]


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the rule table: for ops of ``kinds`` where ``applies`` holds, ``rule`` plans them."""

    kinds: tuple[type, ...]
    applies: Applies
    rule: Rule
    capability: str
    """The capability whose absence the rule emulates (for ``relgate translate`` and docs)."""


READS = (Get, List, GetRelated, GetLinkage, Aggregate)


def is_write(op: Op) -> bool:
    return not isinstance(op, READS)


def native(op: Op, context: Context) -> Generator[PlanStep, Result, Result]:
    """The op as it is: one step.  Guarded (in a plan of several writes), it is read first so
    that its inverse is known before it is sent; a create's inverse comes from its result."""
    if not is_write(op):
        return (yield PlanStep(op, -1, "read", write=False))
    if not context.guarded or isinstance(op, Delete):
        return (yield PlanStep(op, -1, _purpose(op)))
    if isinstance(op, Create):
        return (yield PlanStep(op, -1, _purpose(op), undo=lambda result: inverse(op, None, result)))
    read = before_read(op)
    if read is None:
        return (yield PlanStep(op, -1, _purpose(op)))
    before = yield PlanStep(read, -1, "read what the next step changes (for its undo)", write=False)
    rel = getattr(op, "relationship", None)
    replace = rel is None or context.allows(context.relationship(op.ref.type, rel), "allow_replace")  # type: ignore[attr-defined]
    undo = inverse(op, before, None, replace=replace)
    return (yield PlanStep(op, -1, _purpose(op), undo=undo))


def _purpose(op: Op) -> str:
    return type(op).__name__.lower()


RULES: list[Entry] = [
    Entry((Upsert,), upsert.applies, upsert.upsert, "upsert"),
]
"""The rewrite table; rules register here in the order they are tried (most specific first)."""


def choose(op: Op, context: Context) -> Rule:
    for entry in RULES:
        if isinstance(op, entry.kinds) and entry.applies(op, context):
            return entry.rule
    return native


# --- the emulations, one line each (imported here, after the table: their modules use it lazily) ---
from relgate.planner import aggregate, bulk, include, ordered_reads, ordered_writes  # noqa: E402

# first: the overlay's writes wrap whichever rule below carries out the membership part
RULES.insert(0, Entry(ordered_writes.KINDS, ordered_writes.applies, ordered_writes.write, "positions"))
RULES.append(Entry(ordered_reads.KINDS, ordered_reads.applies, ordered_reads.read, "positions"))
RULES.append(Entry(include.READS, include.applies, include.include, "include"))
RULES.append(Entry((UpdateWhere, DeleteWhere), bulk.applies, bulk.bulk, "bulk_where"))
RULES.append(Entry((Aggregate,), aggregate.applies, aggregate.aggregate, "aggregate"))
