"""Which ops of a batch a backend cannot carry out as asked — decided before the first request.

Reads only the backend's :class:`~relgate.capabilities.Capabilities` and policies, never its
dialect's name, and answers every refusal at once so that nothing is sent for a batch that
would stop half-way for a reason known in advance.  (The planner will replace refusals by
emulations where one is safe; until then the caller learns which capability is missing.)
"""

from __future__ import annotations

from relgate.capabilities import Capabilities, forbidden_by_backend, missing
from relgate.config import Backend
from relgate.model import (
    Add,
    Batch,
    Create,
    End,
    Get,
    GetLinkage,
    GetRelated,
    List,
    Op,
    Path,
    Problem,
    Query,
    Remove,
    Replace,
    Update,
    Upsert,
)
from relgate.schema import Relationship, Schema


class Lowering:
    """The refusals of one backend (its capabilities and policies read once)."""

    def __init__(self, schema: Schema, backend: Backend, capabilities: Capabilities) -> None:
        self.schema = schema
        self.backend = backend
        self.caps = capabilities

    def refusals(self, batch: Batch) -> list[Problem]:
        out: list[Problem] = []
        for op in batch.ops:
            out.extend(self._op(op))
        return out

    # --- per op ------------------------------------------------------------------------------

    def _op(self, op: Op) -> list[Problem]:
        name = self.backend.name
        caps = self.caps
        # bulk writes by filter, aggregates and includes the backend lacks are emulated by the planner
        # (relgate/planner/bulk.py, aggregate.py, include.py)
        if isinstance(op, (Get, List, GetRelated, GetLinkage)):
            return self._query(op.query, op.at)
        out: list[Problem] = []
        if isinstance(op, (Create, Upsert)):
            rtype = self.schema[op.type]
            # An Upsert by id creates only when its read finds nothing (0.17's nested {"id": 1} is
            # get-or-create and nearly always names an existing row): the client half refuses then.
            creates = isinstance(op, Create)
            if creates and op.ref is not None and op.ref.id is not None and rtype.id_style not in caps.client_ids:
                out.append(missing(name, f"accept client-generated ids for '{op.type}' ({rtype.id_style} ids)", at=op.at or None))
            out += self._inline(op.type, op.relationships, op.at, replacing=isinstance(op, Upsert))
        elif isinstance(op, Update):
            out += self._inline(op.ref.type, op.relationships, op.at, replacing=True)
        elif isinstance(op, Replace):
            rel = self._rel(op.ref.type, op.relationship)
            out += self._replacement(rel, len(op.targets), op.at)
        elif isinstance(op, Add):
            rel = self._rel(op.ref.type, op.relationship)
            placed = op.positions or ((op.position,) if op.position is not None else ())
            if rel.ordered and placed and not caps.positions and not self.overlay and not all(isinstance(p, End) for p in placed):
                out.append(missing(name, f"place members at a position in '{rel.owner}.{rel.name}'", at=op.at or None))
        elif isinstance(op, Remove):
            rel = self._rel(op.ref.type, op.relationship)
            if rel.many and not self.backend.policy(rel, "allow_remove", caps.remove_default):
                out.append(forbidden_by_backend(name, f"removing members from '{rel.owner}.{rel.name}'", at=op.at or None))
        return out

    def _inline(self, type_name: str, relationships: dict, at: Path, *, replacing: bool) -> list[Problem]:
        out: list[Problem] = []
        for rel_name, linkage in relationships.items():
            rel = self._rel(type_name, rel_name)
            if not rel.many:
                continue
            size = len(linkage) if isinstance(linkage, tuple) else 0
            if replacing:
                out += self._replacement(rel, size, at)
            elif rel.ordered and size > 1 and not self.caps.keeps_order and not self.overlay:
                out.append(self._order(rel, at))
        return out

    def _replacement(self, rel: Relationship, size: int, at: Path) -> list[Problem]:
        out: list[Problem] = []
        if not self.backend.policy(rel, "allow_replace", self.caps.replace_default):
            out.append(forbidden_by_backend(self.backend.name, f"replacing all of '{rel.owner}.{rel.name}'", at=at or None))
        if rel.ordered and size > 1 and not self.caps.keeps_order and not self.overlay:
            out.append(self._order(rel, at))
        return out

    @property
    def overlay(self) -> bool:
        """relgate keeps the order of ordered to-manys itself (relgate/planner/ordered_writes.py)."""
        return self.backend.order == "overlay"

    def _order(self, rel: Relationship, at: Path) -> Problem:
        return missing(self.backend.name, f"keep the order of the ordered relationship '{rel.owner}.{rel.name}'", at=at or None)

    def _query(self, query: Query, at: Path) -> list[Problem]:
        out: list[Problem] = []
        if query.sort and not self.caps.sorting:
            out.append(missing(self.backend.name, "sort collections", at=at or None, parameter="sort"))
        if query.sort and not self.caps.sort_through_relationships and any(len(k.path) > 1 for k in query.sort):
            out.append(missing(self.backend.name, "sort by a field of a related resource", parameter="sort"))
        return out

    def _rel(self, type_name: str, name: str) -> Relationship:
        return self.schema[type_name].relationships[name]
