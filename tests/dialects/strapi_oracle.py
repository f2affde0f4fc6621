"""A line-by-line Python port of Strapi's ``sortConnectArray`` + ``relationsOrderer.connect``.

Test oracle only (strapi/strapi ``packages/core/database/src/entity-manager/relations-orderer.ts``):
the list order it produces is what relgate's positions must reproduce.  Items are
``(id, position)`` with position ``{"before": x}``, ``{"after": x}``, ``{"start": True}``,
``{"end": True}`` or ``None``; raises :class:`OrdererError` with Strapi's message.
"""

from __future__ import annotations

import json
from typing import Any


class OrdererError(Exception):
    pass


def sort_connect_array(
    connect: list[tuple[Any, dict | None]], initial: list[Any], strict: bool = True, member_cycles: bool = True
) -> list[tuple[Any, dict | None]]:
    """``member_cycles=False`` is the reference's equivalent semantics (§1.4): a circle is only
    reported among anchors that are not connected yet; Strapi's code also reports one that
    passes through a connected item (when the array needs sorting at all)."""
    in_initial = set(initial)
    mapped: dict[Any, dict[str, Any]] = {}
    needs_sorting = False
    for rid, pos in connect:
        adjacent = (pos or {}).get("before") or (pos or {}).get("after")
        if not adjacent or (adjacent not in in_initial and adjacent not in mapped):
            needs_sorting = True
        if rid in mapped:
            raise OrdererError(f"The relation with id {rid} is already connected. You cannot connect the same relation twice.")
        mapped[rid] = {"item": (rid, pos), "computed": False}
    if not needs_sorting:
        return list(connect)
    out: list[tuple[Any, dict | None]] = []

    def compute(item: tuple[Any, dict | None], seen: set[Any]) -> None:
        rid, pos = item
        adjacent = (pos or {}).get("before") or (pos or {}).get("after")
        if adjacent and adjacent in seen and (member_cycles or adjacent not in in_initial):
            raise OrdererError(
                "A circular reference was found in the connect array. "
                "One relation is trying to connect before/after another one that is trying to connect before/after it"
            )
        if mapped[rid]["computed"]:
            return
        mapped[rid]["computed"] = True
        if not adjacent or adjacent in in_initial:
            out.append(item)
            return
        if adjacent in mapped:
            compute(mapped[adjacent]["item"], seen | {rid})
            out.append(item)
        elif strict:
            raise OrdererError(
                f"There was a problem connecting relation with id {rid} at position {json.dumps(pos, separators=(',', ':'))}."
                f" The relation with id {adjacent} needs to be connected first."
            )
        else:
            out.append((rid, {"end": True}))

    for item in connect:
        compute(item, set())
    return out


def connect(initial: list[Any], items: list[tuple[Any, dict | None]], strict: bool = True, member_cycles: bool = True) -> list[Any]:
    """The list after connecting ``items`` (disconnects not modelled): ids in order."""
    current = list(initial)
    for rid, pos in sort_connect_array(items, current, strict, member_cycles):
        pos = pos or {"end": True}
        if rid in current:
            current.remove(rid)
        if pos.get("before"):
            if pos["before"] not in current:
                raise OrdererError("The list of connect relations is not valid")  # Strapi: a TypeError caught as a 500
            current.insert(current.index(pos["before"]), rid)
        elif pos.get("after"):
            if pos["after"] not in current:
                raise OrdererError("The list of connect relations is not valid")
            current.insert(current.index(pos["after"]) + 1, rid)
        elif pos.get("start"):
            current.insert(0, rid)
        else:
            current.append(rid)
    return current
