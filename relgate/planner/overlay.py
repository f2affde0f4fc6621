"""The order overlay, sans-IO: relgate keeps the order of a backend's to-many that has none.

A backend without positions (``Capabilities.positions`` false) and configured with
``order = "overlay"`` keeps *membership*; relgate keeps the *order* of each ordered relationship
in its own store (:mod:`relgate.store.overlay`), as fractional index keys — the same keys the
store's rank columns hold (:mod:`fractional_indexing`), so placing a member writes one key and
costs the same at 10 members as at 100,000.

The merge rule (:func:`ordered`): membership comes from the backend, order from the overlay.
Members the overlay knows come in key order; members it does not know (linked behind relgate's
back, or before the overlay was turned on) follow in the backend's order; a key whose member the
backend no longer has is dropped from the overlay.

**How a plan addresses the overlay.**  A plan stays sans-IO: the overlay is one more place a
step can be carried out.  Its two ops here, :class:`OverlayRead` and :class:`OverlayWrite`, are
plain values like canonical ops, with ``TARGET = "overlay"`` (``PlanStep.target`` reads it); the
remote target carries such a step out against the store's overlay tables instead of handing it
to the backend's client half, and everything else — the compensation log, undo steps computed
from a step's result, ``meta.steps`` — is the plan's ordinary machinery.  ``relgate translate``
and the offline tests feed them canned :class:`OverlayState` / :class:`OverlayWritten` values.

Concurrency: every list has a ``version``.  A write names the version its plan read; the store
refuses it (409) when another write came between, and the plan undoes the backend write it
made — the overlay is never silently wrong, and a failed backend write (made *before* the
overlay write) leaves it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from fractional_indexing import generate_key_between, generate_n_keys_between

from relgate.model import Add, After, Before, End, Ident, Path, Position, Problem, ProblemError, Start
from relgate.ordering import placements as single_placements

# --- the overlay's ops and results (plain values) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverlayRead:
    """Read the keys of ``owner_type.relationship`` for each of ``owners``.

    ``around`` (one owner): only these members, each one's neighbours and the two ends — what a
    placement needs, read with indexed look-ups whatever the list's length; ``None``: every key.
    """

    owner_type: str
    relationship: str
    owners: tuple[str, ...]
    around: tuple[str, ...] | None = None
    at: Path = ()
    TARGET: ClassVar[str] = "overlay"


@dataclass(frozen=True, slots=True)
class Keys:
    """One owner's list as read: its ``version`` (0: relgate keeps no order for it yet) and keys."""

    version: int = 0
    keys: Mapping[str, str] = field(default_factory=dict)

    @property
    def synced(self) -> bool:
        """Whether relgate keeps this list's order (it was reconciled with the backend once)."""
        return self.version > 0


@dataclass(frozen=True, slots=True)
class OverlayState:
    """The result of an :class:`OverlayRead`: per owner id, its :class:`Keys`."""

    lists: Mapping[str, Keys]

    def of(self, owner: str) -> Keys:
        return self.lists.get(owner, Keys())


@dataclass(frozen=True, slots=True)
class OverlayWrite:
    """Change one owner's list: ``clear`` (every key goes first), ``drop`` keys, ``set`` keys.

    ``version`` is the version the plan read (0: the list does not exist yet; this write starts
    it); ``None``: whatever it is (a replacement or a removal, which do not depend on what was
    there; a removal from a list relgate keeps no order for does nothing).  ``strict``: a
    different version is a 409 conflict; otherwise the write is skipped (a read's
    reconciliation, which may lose to a concurrent write harmlessly).  ``forget`` removes the list
    altogether (its owner was deleted; or the undo of the write that started it).
    """

    owner_type: str
    relationship: str
    owner: str
    version: int | None
    set: tuple[tuple[str, str], ...] = ()
    drop: tuple[str, ...] = ()
    clear: bool = False
    forget: bool = False
    strict: bool = True
    at: Path = ()
    TARGET: ClassVar[str] = "overlay"


@dataclass(frozen=True, slots=True)
class OverlayWritten:
    """What an :class:`OverlayWrite` did: ``applied`` (False: skipped, lenient and stale), the
    list's new ``version``, and the keys it replaced (``None``: the member had none), from which
    its undo is computed."""

    applied: bool
    version: int
    previous_version: int = 0
    previous: tuple[tuple[str, str | None], ...] = ()


def overlay_action(op: OverlayWrite) -> str:
    """How a step report names an overlay write (as ``"POST /people"`` names a backend request)."""
    parts = [w for w, on in (("forget", op.forget), ("clear", op.clear)) if on]
    parts += [f"{n} {len(v)}" for n, v in (("set", op.set), ("drop", op.drop)) if v]
    return f"ORDER {op.owner_type}/{op.owner}/{op.relationship}" + (f" ({', '.join(parts)})" if parts else "")


def undo_of(write: OverlayWrite) -> object:
    """The undo of ``write``, computed from its result (see :class:`~relgate.planner.steps.PlanStep`)."""

    def undo(result: object) -> OverlayWrite | None:
        if not isinstance(result, OverlayWritten) or not result.applied:
            return None
        base = dict(owner_type=write.owner_type, relationship=write.relationship, owner=write.owner, version=result.version, at=write.at)
        if result.previous_version == 0:
            return OverlayWrite(**base, forget=True)  # type: ignore[arg-type]
        keep = tuple((m, k) for m, k in result.previous if k is not None)
        gone = tuple(m for m, k in result.previous if k is None)
        return OverlayWrite(**base, set=keep, drop=gone, clear=write.clear or write.forget)  # type: ignore[arg-type]

    return undo


# --- merge: membership from the backend, order from the overlay ---------------------------------


@dataclass(frozen=True, slots=True)
class Merged:
    """A relationship's members in overlay order, and what the overlay must learn to match.

    ``append``: keys for members it did not know (after its last key, in the backend's order);
    ``drop``: members it knew that the backend no longer has.
    """

    members: tuple[Ident, ...]
    append: tuple[tuple[str, str], ...] = ()
    drop: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.append or self.drop)


def ordered(backend_members: Sequence[Ident], keys: Mapping[str, str]) -> Merged:
    """``backend_members`` (the backend's order) in overlay order (see the module docstring)."""
    present: dict[str, Ident] = {}
    for m in backend_members:
        if m.id is not None:
            present.setdefault(m.id, m)
    known = sorted((k, i) for i, k in keys.items() if i in present)
    unknown = [i for i in present if i not in keys]
    drop = tuple(sorted(i for i in keys if i not in present))
    last = max(keys.values()) if keys else None
    fresh = generate_n_keys_between(last, None, len(unknown)) if unknown else []
    members = tuple(present[i] for _, i in known) + tuple(present[i] for i in unknown)
    return Merged(members, tuple(zip(unknown, fresh, strict=True)), drop)


# --- placements: new keys for an Add ------------------------------------------------------------


def interest(op: Add) -> tuple[str, ...]:
    """The member ids an Add's placement looks at: its targets and anchors."""
    out: dict[str, None] = {}
    for t in op.targets:
        if t.id is not None:
            out[t.id] = None
    for p in (op.position, *op.positions):
        if isinstance(p, (Before, After)) and p.anchor.id is not None:
            out[p.anchor.id] = None
    return tuple(out)


def anchors(op: Add) -> tuple[Ident, ...]:
    return tuple(p.anchor for p in (op.position, *op.positions) if isinstance(p, (Before, After)))


class _Window:
    """The overlay's keys an op looks at, kept sorted while placements are simulated on it.

    It holds every member of interest with its two neighbours and the ends, so the neighbour of
    a key in the window is its neighbour in the whole list (a moved member's neighbours are in it
    too) — which is all a fractional key between two neighbours needs.
    """

    def __init__(self, keys: Mapping[str, str]) -> None:
        self.key = dict(keys)
        self.order = sorted(self.key, key=lambda m: (self.key[m], m))

    def index(self, member: str) -> int:
        return self.order.index(member)

    def bounds(self, position: Position | None, anchor_ok: bool) -> tuple[str | None, str | None]:
        if isinstance(position, Start):
            return None, self.key[self.order[0]] if self.order else None
        if position is None or isinstance(position, End) or not anchor_ok:
            return (self.key[self.order[-1]] if self.order else None), None
        assert isinstance(position, (Before, After)) and position.anchor.id is not None
        i = self.index(position.anchor.id)
        if isinstance(position, Before):
            return (self.key[self.order[i - 1]] if i > 0 else None), self.key[self.order[i]]
        return self.key[self.order[i]], (self.key[self.order[i + 1]] if i + 1 < len(self.order) else None)

    def put(self, members: Sequence[str], keys: Sequence[str]) -> None:
        for m, k in zip(members, keys, strict=True):
            if m in self.key:
                self.order.remove(m)
            self.key[m] = k
        for m in members:
            lo = 0
            hi = len(self.order)
            k = (self.key[m], m)
            while lo < hi:  # bisect on (key, id)
                mid = (lo + hi) // 2
                if (self.key[self.order[mid]], self.order[mid]) < k:
                    lo = mid + 1
                else:
                    hi = mid
            self.order.insert(lo, m)


def placements(op: Add, keys: Mapping[str, str], is_member: set[str] | frozenset[str]) -> tuple[tuple[str, str], ...]:
    """The keys an Add gives its targets, from the overlay's ``keys`` around them.

    ``is_member``: the member ids before the op (the overlay's, reconciled with the backend when
    it was not sure).  Semantics are the store's: without a position only new members get a key,
    after the last; with one ``position`` every target is placed there in order (a present one is
    moved); with one position per target they are resolved by :func:`relgate.ordering.placements`
    and placed one by one.  A strict anchor that is not a member is 400 ``invalid-position``.
    """
    window = _Window(keys)
    if op.positions:
        out: dict[str, str] = {}
        steps = single_placements(op, lambda a: a.id in is_member)
        for target, position in steps:
            assert target.id is not None
            lo, hi = window.bounds(position, True)  # its anchor is a member, or placed before it
            key = generate_key_between(lo, hi)
            window.put([target.id], [key])
            out[target.id] = key
        return tuple(out.items())
    ids = [t.id for t in _distinct(op.targets) if t.id is not None]
    position = op.position
    if position is None:
        new = [i for i in ids if i not in is_member]
        lo, _ = window.bounds(None, False)
        return tuple(zip(new, generate_n_keys_between(lo, None, len(new)), strict=True)) if new else ()
    if isinstance(position, (Before, After)):
        anchor = position.anchor
        if anchor.id in ids:
            raise _invalid("An item cannot be positioned relative to itself.", anchor.at)
        if anchor.id not in is_member and position.strict:
            raise _invalid(f"The anchor {anchor.type} '{anchor.id or anchor.lid}' is not a member of the relationship.", anchor.at)
    anchored = isinstance(position, (Before, After)) and position.anchor.id in is_member and position.anchor.id in window.key
    lo, hi = window.bounds(position, anchored)
    return tuple(zip(ids, generate_n_keys_between(lo, hi, len(ids)), strict=True)) if ids else ()


def _distinct(idents: Iterable[Ident]) -> list[Ident]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for i in idents:
        if i.key not in seen:
            seen.add(i.key)
            out.append(i)
    return out


def _invalid(detail: str, at: Path) -> ProblemError:
    return ProblemError(Problem(400, "invalid-position", "Invalid position", detail, at=at or None))


def fresh_keys(members: Sequence[Ident]) -> tuple[tuple[str, str], ...]:
    """Keys for a whole new order (a replacement, a create with ordered linkage)."""
    ids = [m.id for m in _distinct(members) if m.id is not None]
    return tuple(zip(ids, generate_n_keys_between(None, None, len(ids)), strict=True)) if ids else ()
