"""What a rule may know about the backend it plans for: schema, capabilities, policies."""

from __future__ import annotations

from dataclasses import dataclass

from relgate.capabilities import Capabilities
from relgate.config import Backend
from relgate.schema import Relationship, Schema


@dataclass(frozen=True, slots=True)
class Context:
    """One backend as the planner sees it (built once per target, shared by every plan).

    ``guarded`` is per plan: whether the plan's writes must each be undoable (a plan of more than
    one write); see :meth:`Plan.__init__`.
    """

    schema: Schema
    backend: Backend
    caps: Capabilities
    guarded: bool = False

    @property
    def name(self) -> str:
        return self.backend.name

    def relationship(self, type_name: str, name: str) -> Relationship:
        return self.schema[type_name].relationships[name]

    def allows(self, rel: Relationship, policy: str) -> bool:
        """A backend policy (``allow_replace``, ``allow_remove``) for ``rel``, its dialect's default otherwise."""
        default = {"allow_replace": self.caps.replace_default, "allow_remove": self.caps.remove_default}.get(policy, True)
        return self.backend.policy(rel, policy, default)
