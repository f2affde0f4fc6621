"""The values a plan hands out and records: steps, their undo, and the report of what happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from relgate.model import Op, Result

Undo: TypeAlias = "Op | Callable[[Result], Op | None] | None"
"""How to take a write back: an op known before it is sent (restore the linkage read before), one
computed from the write's result (delete what a create made), or ``None`` (a read; or a delete,
which cannot be undone exactly)."""

StepStatus: TypeAlias = Literal["done", "failed", "compensated", "not-compensated", "skipped"]


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One canonical op for the backend, which its client half expresses natively.

    ``source`` is the index of the caller's op it serves; ``purpose`` says why it is in the plan
    (for ``relgate translate`` and step reports); ``write`` is False for reads (nothing to undo).
    ``number`` is its place in the plan (1-based, in the order handed out; undo steps included).
    """

    op: Op
    source: int
    purpose: str = ""
    write: bool = True
    undo: Undo = None
    number: int = 0
    undoes: int | None = None
    """For an undo step: the ``number`` of the step it takes back."""

    @property
    def target(self) -> str:
        """Where the step is carried out: ``"backend"`` (its client half), or what the op names
        (``"overlay"``: relgate's order overlay, :mod:`relgate.planner.overlay`)."""
        return getattr(type(self.op), "TARGET", "backend")


@dataclass(slots=True)
class StepRecord:
    """What became of one write step (the plan's compensation log entry)."""

    step: PlanStep
    status: StepStatus
    actions: tuple[str, ...] = ()
    inverse: Op | None = None
    undo_actions: tuple[str, ...] = ()
    detail: str = ""

    def as_meta(self) -> dict[str, Any]:
        """The plain form problems carry in ``meta.steps`` (``op`` is the caller's op index)."""
        out: dict[str, Any] = {"op": self.step.source, "step": self.step.number, "status": self.status}
        out["action"] = "; ".join(self.actions)
        if self.step.purpose:
            out["purpose"] = self.step.purpose
        if self.undo_actions:
            out["undo"] = "; ".join(self.undo_actions)
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(slots=True)
class Log:
    """The compensation log: every write step handed out, in order."""

    records: list[StepRecord] = field(default_factory=list)

    def applied(self) -> list[StepRecord]:
        return [r for r in self.records if r.status == "done"]
