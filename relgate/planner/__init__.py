"""The planner: a caller's Batch lowered to the steps one backend can carry out.

Sans-IO, like h11: a :class:`~relgate.planner.plan.Plan` says what it needs next
(:meth:`~relgate.planner.plan.Plan.next_step` → a :class:`~relgate.planner.steps.PlanStep`: one
canonical op the backend expresses natively, or ``None`` when done) and takes the result back
(:meth:`~relgate.planner.plan.Plan.feed`, or :meth:`~relgate.planner.plan.Plan.fail`), keeping the
compensation log in its own state.  Whoever drives it turns each step into backend requests
through the backend dialect's client half — the remote target over httpx, ``relgate translate``
offline, a test with canned results.

Rules (:mod:`relgate.planner.rules`) are chosen from a table by op kind and capability; each is a
generator that yields steps, is sent their results and returns the caller op's result.  The
planner reads :class:`~relgate.capabilities.Capabilities` and the backend's policies, never a
dialect's name.
"""

from relgate.planner.context import Context
from relgate.planner.plan import Plan
from relgate.planner.steps import PlanStep, Undo

__all__ = ["Context", "Plan", "PlanStep", "Undo"]
