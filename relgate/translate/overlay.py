"""relgate's order overlay, offline: an in-memory copy for ``relgate translate``, never the store.

A backend with ``order = "overlay"`` has plan steps carried out against relgate's own store
(:class:`~relgate.store.overlay.OrderOverlay`).  Offline they run here instead, with the same
rules — versions, strict writes refused on a concurrent change, the keys a write replaced for
its undo — on lists that start as the assumption says (relgate keeps no order for them yet) or as
a canned ``### answer ORDER type/id/relationship`` block says (a JSON array of member ids: the
order relgate keeps).  Reads return a list's every key (a superset of the window a placement
needs, which the planner takes the same way).
"""

from __future__ import annotations

from collections.abc import Iterable

from fractional_indexing import generate_n_keys_between

from relgate.model import Problem, ProblemError
from relgate.planner.overlay import Keys, OverlayRead, OverlayState, OverlayWrite, OverlayWritten
from relgate.translate.httpfile import CannedAnswer

ListKey = tuple[str, str, str]
"""``(owner type, owner id, relationship)``."""


class OfflineOverlay:
    """The order overlay of one backend, for one request."""

    def __init__(self, canned: Iterable[CannedAnswer] = ()) -> None:
        self.lists: dict[ListKey, tuple[int, dict[str, str]]] = {}
        self.canned = [c for c in canned if c.method == "ORDER"]

    def run(self, op: OverlayRead | OverlayWrite) -> tuple[OverlayState | OverlayWritten, str]:
        """``op`` carried out, and how its answer came about (for the report)."""
        if isinstance(op, OverlayRead):
            notes = [self._note(op.owner_type, owner, op.relationship) for owner in op.owners]
            state = {owner: Keys(*self.lists.get((op.owner_type, owner, op.relationship), (0, {}))) for owner in op.owners}
            return OverlayState(state), "; ".join(notes)
        note = self._note(op.owner_type, op.owner, op.relationship)
        written = self._write(op)
        done = (
            f"written (version {written.version})"
            if written.applied
            else "skipped: nothing to keep, or a lenient write that lost to another"
        )
        return written, f"{note}; {done}"

    def _note(self, owner_type: str, owner: str, relationship: str) -> str:
        key = (owner_type, owner, relationship)
        where = f"{owner_type}/{owner}.{relationship}"
        if key in self.lists:
            return f"the order of {where} as this request left it"
        canned = next((c for c in self.canned if not c.used and c.target.strip("/") == f"{owner_type}/{owner}/{relationship}"), None)
        if canned is None:
            self.lists[key] = (0, {})
            return f"assumed: relgate keeps no order for {where} yet"
        canned.used = True
        members = [str(m) for m in canned.answer]  # type: ignore[union-attr]
        self.lists[key] = (1, dict(zip(members, generate_n_keys_between(None, None, len(members)), strict=True)))
        return f"canned answer ({canned.where}): relgate keeps {where} in the order {', '.join(members)}"

    def _write(self, op: OverlayWrite) -> OverlayWritten:
        key = (op.owner_type, op.owner, op.relationship)
        version, keys = self.lists.get(key, (0, {}))
        if op.version is not None and version != op.version:
            if op.strict:
                detail = f"The order of '{op.owner_type}.{op.relationship}' of {op.owner_type} '{op.owner}' changed while this request ran."
                raise ProblemError(Problem(409, "conflict", "Concurrent change", detail, at=op.at or None))
            return OverlayWritten(False, version, version)
        if version == 0 and not op.set:
            return OverlayWritten(False, 0, 0)
        touched = [m for m, _ in op.set] + list(op.drop)
        if op.clear or op.forget:
            before: dict[str, str | None] = dict(keys)
            keys = {}
        else:
            before = {m: keys[m] for m in touched if m in keys}
            keys = {m: k for m, k in keys.items() if m not in touched}
        previous = tuple((m, before.get(m)) for m in dict.fromkeys([*before, *touched]))
        if op.forget:
            self.lists[key] = (0, {})
            return OverlayWritten(True, 0, version, previous)
        keys.update(dict(op.set))
        self.lists[key] = (version + 1, keys)
        return OverlayWritten(True, version + 1, version, previous)

    def unused(self) -> list[CannedAnswer]:
        return [c for c in self.canned if not c.used]
