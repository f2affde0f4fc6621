"""What is wrong with a Batch against the schema alone — decided before any target sees it.

Target-neutral rules the store also enforces inside its transaction (relationship kind, local
ids, anchors), checked up front so that a backend reached over several requests refuses the same
bad request with the same problems as the store, and before its first write rather than
half-way (a lid used before it is defined would otherwise fail after earlier creates went out).
Every problem points at the caller's own member (``at``).
"""

from __future__ import annotations

from relgate.model import Add, After, Batch, Before, GetLinkage, GetRelated, Op, Problem, Remove, Replace, SetOne
from relgate.ops import created_lid, referenced, unknown_lid
from relgate.schema import Schema

_TO_MANY_ONLY = (Add, Replace)
_NAMED = (Add, Remove, Replace, SetOne, GetLinkage, GetRelated)


def problems(batch: Batch, schema: Schema) -> list[Problem]:
    """Every problem of ``batch`` that needs no data to see, in the order of its ops."""
    out: list[Problem] = []
    defined: set[tuple[str, str]] = set()
    for op in batch.ops:
        out += _relationship(op, schema)
        out += _anchors(op)
        for ident in referenced(op):
            if ident.lid is not None and (ident.type, ident.lid) not in defined:
                out.extend(unknown_lid(ident).problems)
        lid = created_lid(op)
        if lid is not None:
            if lid in defined:
                at = op.ref.at or None
                out.append(Problem(400, "invalid", "Duplicate local id", f"The lid '{lid[1]}' of type '{lid[0]}' is defined twice.", at=at))
            defined.add(lid)
    return out


def _relationship(op: Op, schema: Schema) -> list[Problem]:
    if not isinstance(op, _NAMED):
        return []
    rtype = schema[op.ref.type]
    rel = rtype.relationships.get(op.relationship)
    at = op.at or None
    if rel is None:
        return [Problem(404, "not-found", "Relationship not found", f"'{rtype.name}' has no relationship '{op.relationship}'.", at=at)]
    if (isinstance(op, SetOne) and rel.many) or (isinstance(op, _TO_MANY_ONLY) and not rel.many):
        kind = "to-many" if rel.many else "to-one"
        return [Problem(400, "invalid", "Wrong relationship kind", f"'{rtype.name}.{rel.name}' is a {kind} relationship.", at=at)]
    return []


def _anchors(op: Op) -> list[Problem]:
    """An Add placing a member relative to itself (the store's rule; a backend may not check it).

    One position for all targets may not be anchored at any of them; a position per target
    (Strapi's connect) only not at its own target — another item of the same connect is a fine anchor.
    """
    if not isinstance(op, Add):
        return []
    if op.positions:
        pairs = [(p, {t.key}) for t, p in zip(op.targets, op.positions, strict=False)]
    else:
        pairs = [(op.position, {t.key for t in op.targets})]
    detail = "An item cannot be positioned relative to itself."
    return [
        Problem(400, "invalid-position", "Invalid position", detail, at=p.anchor.at or None)
        for p, own in pairs
        if isinstance(p, (Before, After)) and p.anchor.key in own
    ]
