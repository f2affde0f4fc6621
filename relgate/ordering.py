"""Resolving an Add with one position per target into single placements.

Pure logic over canonical values, shared by every target (the store today; a remote planner
emulating positions tomorrow): it needs to know which anchors are members *before* the op,
which only a target can find out.
"""

from __future__ import annotations

from collections.abc import Callable

from relgate.model import Add, After, Before, End, Ident, Position, Problem, ProblemError


def placements(op: Add, is_member: Callable[[Ident], bool]) -> tuple[tuple[Ident, Position], ...]:
    """The single placements that carry out an Add with per-target ``positions``.

    Targets are placed one at a time in order, each at its own position (a present member
    is moved).  An anchor may be another target of this op: a target whose anchor was a
    member before the op is placed where that anchor stands at its turn; a target whose
    anchor is a target that was *not* a member is placed after that anchor has been placed
    (the anchor, with its own anchor chain, is pulled forward).  A chain of such forward
    references to non-members that closes on itself is a circular reference.  A strict anchor that is
    neither a member nor a target is an ``invalid-position`` problem; a non-strict one
    sends its target to the end.  ``is_member(anchor)`` answers for the state before the
    op; every anchor in the result is a member when its placement is applied.

    This is the ordering Strapi's connect arrays have (``sortConnectArray``); it needs the
    current members, so targets resolve it rather than codecs.
    """
    if len(op.positions) != len(op.targets):
        raise ValueError("placements needs one position per target")
    index: dict[tuple[str, str, str], int] = {}
    for i, t in enumerate(op.targets):
        index.setdefault(t.key, i)
    done = [False] * len(op.targets)
    out: list[tuple[Ident, Position]] = []

    def visit(i: int, branch: frozenset[tuple[str, str, str]]) -> None:
        position = op.positions[i]
        anchor = position.anchor if isinstance(position, (Before, After)) else None
        member = anchor is not None and is_member(anchor)
        if anchor is not None and not member and anchor.key in branch:
            raise ProblemError(
                Problem(
                    400,
                    "invalid-position",
                    "Circular position anchors",
                    "The positions form a circle: an item is placed relative to an item that is placed relative to it.",
                    at=anchor.at or None,
                    meta={"reason": "circular"},
                )
            )
        if done[i]:
            return
        done[i] = True
        target = op.targets[i]
        if anchor is None or member:
            out.append((target, position))
            return
        j = index.get(anchor.key)
        if j is not None:
            visit(j, branch | {target.key})
            out.append((target, position))
        elif getattr(position, "strict", True):
            raise ProblemError(
                Problem(
                    400,
                    "invalid-position",
                    "Invalid position",
                    f"The anchor {anchor.type} '{anchor.id or anchor.lid}' is neither a member nor placed by this operation.",
                    at=anchor.at or None,
                    meta={"reason": "not-member"},
                )
            )
        else:
            out.append((target, End()))

    for i in range(len(op.targets)):
        visit(i, frozenset())
    return tuple(out)
