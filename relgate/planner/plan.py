"""A Plan: one caller batch carried out step by step, undone in reverse when a step fails.

The driver loop (the remote target's, ``relgate translate``'s, a test's)::

    plan = Plan(batch, context)
    while (step := plan.next_step()) is not None:
        try:
            result, sent = carry_out(step)        # the client half's exchange for step.op
        except ProblemError as error:
            plan.fail(error, sent)
        else:
            plan.feed(result, sent)
    outcome = plan.outcome()                      # or raises the failure, with meta.steps

``sent`` names the backend requests a step made (``"POST /people"``), for the report.  After a
failure, :meth:`next_step` hands out the undo steps of the applied writes, newest first; an undo
that fails too is recorded and the rest still run.  The failure then reaches the caller with
``meta.steps`` on each problem: every write step, and whether it is ``done`` (applied and still
in place), ``compensated`` (undone), ``not-compensated`` (its undo failed, or it has none) or
``failed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator

from relgate.model import Batch, One, Outcome, ProblemError, Resource, ResourceList, Result, Step
from relgate.ops import created_lid, substitute
from relgate.planner.context import Context
from relgate.planner.rules import choose, is_write
from relgate.planner.steps import Log, PlanStep, StepRecord


class Plan:
    """The state of one batch's plan (sans-IO: values in, values out)."""

    def __init__(self, batch: Batch, context: Context) -> None:
        writes = sum(1 for op in batch.ops if is_write(op))
        self.context = dataclasses.replace(context, guarded=writes > 1)
        self.batch = batch
        self.log = Log()
        self.results: list[Result] = []
        self.lids: dict[tuple[str, str], str] = {}
        self._lid_of: dict[tuple[str, str], str] = {}
        self._index = -1
        self._rule: Generator[PlanStep, Result, Result] | None = None
        self._current: PlanStep | None = None
        self._pending: Result = None
        self._number = 0
        self._failure: ProblemError | None = None
        self._undoing: list[StepRecord] | None = None
        self._undo_of: StepRecord | None = None

    # --- driving -------------------------------------------------------------------------------

    def next_step(self) -> PlanStep | None:
        """The next step to carry out, or ``None`` when the plan is over (see :meth:`outcome`)."""
        if self._current is not None:
            raise RuntimeError("the current step has not been fed or failed yet")
        if self._undoing is not None:
            return self._next_undo()
        if self._failure is not None:
            return None
        return self._advance()

    def feed(self, result: Result, sent: tuple[str, ...] = ()) -> None:
        """The current step's result (``sent``: the backend requests it made)."""
        step = self._take()
        if step.undoes is not None:
            assert self._undo_of is not None
            self._undo_of.status = "compensated"
            self._undo_of.undo_actions = sent
            self._undo_of = None
            return
        if step.write:
            undo = step.undo(result) if callable(step.undo) else step.undo
            self.log.records.append(StepRecord(step, "done", sent, undo))
        self._bind(step, result)
        self._pending = result

    def fail(self, error: ProblemError, sent: tuple[str, ...] = ()) -> None:
        """The current step failed with ``error`` (a backend refusal, a fault)."""
        step = self._take()
        if step.undoes is not None:
            assert self._undo_of is not None
            self._undo_of.status = "not-compensated"
            self._undo_of.undo_actions = sent
            self._undo_of.detail = f"its undo failed: {error}"
            self._undo_of = None
            return
        if step.write:
            self.log.records.append(StepRecord(step, "failed", sent))
        self._start_undo(error)

    def outcome(self) -> Outcome:
        """The batch's outcome once :meth:`next_step` said ``None``; raises the failure if one happened."""
        if self._failure is not None:
            raise self._reported(self._failure)
        return Outcome(tuple(self.results), dict(self.lids), tuple(self.steps()))

    def steps(self) -> list[Step]:
        """Per write step, what happened to it (``Outcome.steps``)."""
        return [Step(r.step.source, _op_status(r.status), "; ".join(r.actions)) for r in self.log.records]

    # --- internals -----------------------------------------------------------------------------

    def _take(self) -> PlanStep:
        step = self._current
        if step is None:
            raise RuntimeError("no step is being carried out")
        self._current = None
        return step

    def _advance(self) -> PlanStep | None:
        """Run the current rule on to its next step, starting the next caller op's rule as needed."""
        while True:
            try:
                if self._rule is None:
                    self._index += 1
                    if self._index >= len(self.batch.ops):
                        return None
                    op = substitute(self.batch.ops[self._index], self.lids)
                    self._rule = choose(op, self.context)(op, self.context)
                    step = next(self._rule)
                else:
                    step = self._rule.send(self._pending)
            except StopIteration as done:
                self._finish_op(done.value)
                continue
            except ProblemError as error:
                # the rule itself refused (a concurrent change, a member that is not there)
                self._rule = None
                self._start_undo(error)
                return self._next_undo()
            self._number += 1
            step = dataclasses.replace(step, source=self._index, number=self._number)
            self._current = step
            return step

    def _finish_op(self, result: Result) -> None:
        self._rule = None
        raw = self.batch.ops[self._index]
        defined = created_lid(raw)
        if defined is not None and isinstance(result, One) and result.item is not None:
            self.lids[defined] = result.item.id
            self._lid_of[(result.item.type, result.item.id)] = defined[1]
        self.results.append(_with_lids(result, self._lid_of) if self._lid_of else result)

    def _bind(self, step: PlanStep, result: Result) -> None:
        """A create made by a rule's step for a lid the caller named binds it at once (later steps use it)."""
        defined = created_lid(step.op)
        if defined is not None and isinstance(result, One) and result.item is not None:
            self.lids[defined] = result.item.id
            self._lid_of[(result.item.type, result.item.id)] = defined[1]

    def _start_undo(self, error: ProblemError) -> None:
        self._failure = error
        self._rule = None
        self._undoing = list(reversed(self.log.applied()))

    def _next_undo(self) -> PlanStep | None:
        assert self._undoing is not None
        while self._undoing:
            record = self._undoing.pop(0)
            if record.inverse is None:
                if record.step.undo is None:  # a delete, or a write planned without an undo
                    record.status, record.detail = "not-compensated", "it cannot be undone"
                else:  # its undo found nothing to take back (an add of members already there)
                    record.status = "compensated"
                continue
            self._number += 1
            number = record.step.number
            step = PlanStep(record.inverse, record.step.source, f"undo step {number}", undoes=number, number=self._number)
            self._undo_of = record
            self._current = step
            return step
        self._undoing = None
        return None

    def _reported(self, error: ProblemError) -> ProblemError:
        """``error`` with ``meta.steps`` on each problem once any write step was sent."""
        if all(r.status == "failed" for r in self.log.records):
            return error
        report = [r.as_meta() for r in self.log.records]
        problems = [dataclasses.replace(p, meta={**(p.meta or {}), "steps": report}) for p in error.problems]
        return ProblemError(*problems, headers=error.headers)


def _op_status(status: str) -> str:
    return {"not-compensated": "done"}.get(status, status)


def _with_lids(result: Result, lid_of: dict[tuple[str, str], str]) -> Result:
    """``result`` with each resource created from a lid in this batch carrying it (renderers echo it)."""

    def mark(r: Resource) -> Resource:
        lid = lid_of.get((r.type, r.id))
        return dataclasses.replace(r, lid=lid) if lid is not None and r.lid is None else r

    if isinstance(result, One):
        return One(None if result.item is None else mark(result.item), tuple(mark(r) for r in result.included))
    if isinstance(result, ResourceList):
        return ResourceList(tuple(mark(r) for r in result.items), result.total, tuple(mark(r) for r in result.included))
    return result
