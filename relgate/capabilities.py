"""What a backend dialect can say natively, as data.

Each client half declares its :class:`Capabilities` next to its codec (derived from the same
profile or settings its server half reads: what a server half refuses is what a client half
cannot send).  A backend's ``policies`` narrow them per relationship.  Whoever lowers
canonical ops onto a backend — the remote target now, the planner next — reads this table and
never a dialect's name: an op the backend cannot express is refused with a problem that names
the missing capability (:func:`missing`), until a rewrite can emulate it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from relgate.model import Path, Problem

PageStyle = Literal["offset", "number", "none"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """One backend dialect's native abilities (every flag: "the backend does this in one request")."""

    relationship_reads: bool = True
    """A URL answers a relationship's linkage (JSON:API ``/relationships/{rel}``)."""
    relationship_writes: bool = True
    """Relationship URLs take writes (set, replace, add, remove); otherwise only inline linkage."""
    partial_linkage: bool = False
    """A resource write can add and remove members without restating the rest (0.17 ``add`` /
    ``remove``, Strapi ``connect`` / ``disconnect``)."""
    positions: bool = False
    """Members can be placed (before / after / start / end) and the backend keeps that order."""
    keeps_order: bool = False
    """A to-many keeps the order it was given (so an ordered ``Replace`` is expressible)."""
    idempotent_add: bool = True
    """Adding a member already present is accepted and changes nothing."""
    nested_create: bool = False
    """New related resources can be created inside the parent's create or update request."""
    atomic: bool = False
    """Several operations in one all-or-nothing request (Atomic Operations)."""
    lid: bool = False
    """Local ids (JSON:API 1.1 ``lid``)."""
    client_ids: frozenset[str] = frozenset({"uuid", "string"})
    """Id styles a create may supply an id for."""
    bulk_where: bool = False
    """Update or delete every resource matching a filter in one request."""
    aggregate: bool = False
    """Aggregate functions (sum, avg, min, max, count) over a filter."""
    include: bool = True
    """Compound documents: related resources in the same answer."""
    sparse_fields: bool = True
    filter_ops: frozenset[str] = frozenset()
    """Canonical comparisons its filter language can say (empty: no filtering at all)."""
    related_filters: bool = False
    """Filters through relationships (``Related``)."""
    compound_filters: bool = False
    """``Or`` and ``Not`` (``And`` of several comparisons is assumed where there is filtering)."""
    field_comparisons: bool = False
    """Comparing two fields of one resource (``FieldCmp``)."""
    sorting: bool = True
    sort_through_relationships: bool = False
    page: PageStyle = "number"
    counts: bool = True
    """Collection answers say how many resources match."""
    etag: bool = False
    replace_default: bool = True
    """Full replacement of a to-many is allowed unless a policy says otherwise."""
    remove_default: bool = True
    """Removal from a to-many is allowed unless a policy says otherwise."""
    notes: tuple[str, ...] = field(default=())


def missing(backend: str, what: str, *, at: Path | None = None, member: str | None = None, parameter: str | None = None) -> Problem:
    """The problem for an op or query the backend cannot express (400, code ``unsupported``)."""
    return Problem(
        400,
        "unsupported",
        "Not supported by the backend",
        f"The backend '{backend}' cannot {what}.",
        at=at,
        member=member,
        parameter=parameter,
        meta={"backend": backend},
    )


def forbidden_by_backend(backend: str, what: str, *, at: Path | None = None) -> Problem:
    """The problem for an op a backend's policy forbids (403, code ``forbidden``)."""
    text = f"The backend '{backend}' does not allow {what}."
    return Problem(403, "forbidden", "Forbidden by the backend", text, at=at, meta={"backend": backend})
