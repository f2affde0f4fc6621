"""Canonical write operations from parsed JSON:API input, with the front door's policies.

Shared by the ordinary endpoints and Atomic Operations, so that both refuse exactly the same
things: a full replacement of a to-many whose replacement policy is off (403, the whole request
rejected, JSON:API §crud-updating "MUST reject the entire update"), a removal whose removal
policy is off (403), POST/DELETE-style changes of a to-one (403 or 405, per profile).
"""

from __future__ import annotations

from dataclasses import dataclass

from relgate.config import Route
from relgate.dialects.jsonapi.documents import ResourceInput
from relgate.dialects.jsonapi.errors import Issues, forbidden
from relgate.dialects.jsonapi.profile import JsonApiProfile
from relgate.model import Add, Create, Ident, Linkage, Op, Path, Problem, Remove, Replace, SetOne, Update
from relgate.schema import Relationship

NEW_RESOURCE_LID = "relgate:new"
"""Local id given to a created resource without id or lid when a later read must name it."""


@dataclass(frozen=True, slots=True)
class CreatePlan:
    ops: tuple[Op, ...]
    ref: Ident | None
    """How later operations of the batch name the new resource (None: they cannot)."""


class WriteBuilder:
    def __init__(self, route: Route, profile: JsonApiProfile) -> None:
        self.route = route
        self.profile = profile

    # --- policies ------------------------------------------------------------------------------

    def may_replace(self, rel: Relationship) -> bool:
        return bool(self.route.policy(rel, self.profile.replace_policy, self.profile.replace_default))

    def may_remove(self, rel: Relationship) -> bool:
        return bool(self.route.policy(rel, self.profile.remove_policy, self.profile.remove_default))

    def replace_forbidden(self, rel: Relationship, at: Path | None) -> Problem:
        return forbidden(
            at,
            f"Full replacement of the to-many relationship '{rel.name}' is not allowed; add or remove members instead.",
            code="replace-forbidden",
            title="Full replacement not allowed",
        )

    def remove_forbidden(self, rel: Relationship, at: Path | None) -> Problem:
        return forbidden(
            at,
            f"Removing members from the to-many relationship '{rel.name}' is not allowed.",
            code="remove-forbidden",
            title="Removal not allowed",
        )

    def to_one_forbidden(self, rel: Relationship, at: Path | None, verb: str) -> Problem:
        """POST/DELETE (atomic ``add``/``remove``) on a to-one: the profile's 403, or its 400."""
        status = 400 if self.profile.to_one_add_remove_status == 400 else 403
        return Problem(
            status,
            "to-one-requires-patch",
            "Not allowed on a to-one relationship",
            f"'{rel.name}' is a to-one relationship: {verb} is only for to-many relationships; set or clear it with PATCH (or 'update').",
            at=at,
        )

    # --- resources -----------------------------------------------------------------------------

    def create(self, res: ResourceInput, *, need_ref: bool = False) -> CreatePlan:
        """A Create for ``res``; linkage naming the new resource itself is set right after it.

        The store resolves a lid once its resource exists, so a self-reference (JSON:API 1.1: the
        ``lid`` "MUST be identical for every representation of the resource in the document")
        becomes a separate SetOne/Replace after the Create.
        """
        ref = res.ref
        if ref is None and need_ref:
            ref = Ident(res.type.name, lid=NEW_RESOURCE_LID, at=res.at)
        own = ref.key if ref is not None and ref.lid is not None else None
        initial: dict[str, Linkage] = {}
        later: list[Op] = []
        for name, linkage in res.relationships.items():
            rel = res.type.relationships[name]
            at = (*res.at, "relationships", name, "data")
            if own is not None and _mentions(linkage, own):
                assert ref is not None
                if rel.many:
                    later.append(Replace(ref, name, linkage, at=at))  # type: ignore[arg-type]
                else:
                    later.append(SetOne(ref, name, linkage, at=at))  # type: ignore[arg-type]
            else:
                initial[name] = linkage
        create = Create(ref, res.type.name, res.attributes, initial, at=res.at)
        return CreatePlan((create, *later), ref)

    def update(self, res: ResourceInput, ref: Ident, issues: Issues) -> Update:
        """An Update of ``ref``; a to-many in it is a full replacement, which policy may forbid."""
        for name in res.relationships:
            rel = res.type.relationships[name]
            if rel.many and not self.may_replace(rel):
                issues.add(self.replace_forbidden(rel, (*res.at, "relationships", name)))
        return Update(ref, res.attributes, res.relationships, at=res.at)

    # --- relationships -------------------------------------------------------------------------

    def set_linkage(self, ref: Ident, rel: Relationship, linkage: Linkage, at: Path, issues: Issues) -> Op | None:
        """PATCH of a relationship / atomic ``update`` with ``ref.relationship``."""
        if not rel.many:
            return SetOne(ref, rel.name, linkage, at=at)  # type: ignore[arg-type]
        if not self.may_replace(rel):
            issues.add(self.replace_forbidden(rel, at))
            return None
        return Replace(ref, rel.name, linkage or (), at=at)  # type: ignore[arg-type]

    def add_members(self, ref: Ident, rel: Relationship, linkage: Linkage, at: Path) -> Add:
        return Add(ref, rel.name, linkage or (), at=at)  # type: ignore[arg-type]

    def remove_members(self, ref: Ident, rel: Relationship, linkage: Linkage, at: Path) -> Remove:
        return Remove(ref, rel.name, linkage or (), at=at)  # type: ignore[arg-type]


def _mentions(linkage: Linkage, key: tuple[str, str, str]) -> bool:
    if linkage is None:
        return False
    if isinstance(linkage, tuple):
        return any(i.key == key for i in linkage)
    return linkage.key == key
