"""The order overlay's pure logic (relgate/planner/overlay.py): merge and placements.

Placements are checked against a reference that moves members in a plain Python list (the
semantics of ``Add`` the store implements), over random lists and ops — and they are computed
from only the *window* of keys the store reads around the members an op names, so the test also
checks that the window is enough.
"""

from __future__ import annotations

import random

import pytest
from fractional_indexing import generate_n_keys_between

from relgate.model import Add, After, Before, End, Ident, Position, ProblemError, Start
from relgate.ordering import placements as single_placements
from relgate.planner.overlay import (
    Keys,
    OverlayWrite,
    OverlayWritten,
    fresh_keys,
    interest,
    ordered,
    overlay_action,
    placements,
    undo_of,
)


def c(i: int | str) -> Ident:
    return Ident("categories", str(i))


def test_ordered_known_by_key_then_unknown_in_backend_order_and_dropped_keys() -> None:
    keys = {"1": "a2", "2": "a0", "9": "a1"}  # 9 the backend no longer has
    merged = ordered([c(1), c(5), c(2), c(4)], keys)
    assert [m.id for m in merged.members] == ["2", "1", "5", "4"]
    assert [m for m, _ in merged.append] == ["5", "4"]
    assert all(k > "a2" for _, k in merged.append) and merged.append[0][1] < merged.append[1][1]
    assert merged.drop == ("9",) and merged.changed
    same = ordered([c(2), c(1)], {"1": "a1", "2": "a0"})
    assert [m.id for m in same.members] == ["2", "1"] and not same.changed


def test_keys_and_actions_and_undo() -> None:
    assert [k for _, k in fresh_keys([c(1), c(2), c(1)])] == generate_n_keys_between(None, None, 2)
    assert Keys().synced is False and Keys(3, {}).synced
    write = OverlayWrite("restaurants", "categories", "1", 4, set=(("2", "a5"),), drop=("3",))
    assert overlay_action(write) == "ORDER restaurants/1/categories (set 1, drop 1)"
    undo = undo_of(write)(OverlayWritten(True, 5, 4, (("2", "a1"), ("3", "a2"))))  # type: ignore[operator]
    assert undo == OverlayWrite("restaurants", "categories", "1", 5, set=(("2", "a1"), ("3", "a2")), drop=())
    first = undo_of(write)(OverlayWritten(True, 1, 0, (("2", None),)))  # type: ignore[operator]
    assert first == OverlayWrite("restaurants", "categories", "1", 1, forget=True)
    assert undo_of(write)(OverlayWritten(False, 7, 7)) is None  # type: ignore[operator]


# --- placements against a list reference -----------------------------------------------------------


def _reference(order: list[str], op: Add) -> list[str]:
    """``Add`` on a plain list: the store's semantics."""
    out = list(order)
    if op.positions:
        members = set(order)
        for target, position in single_placements(op, lambda a: a.id in members):
            out = _place(out, [target.id or ""], position)
        return out
    ids = list(dict.fromkeys(t.id or "" for t in op.targets))
    if op.position is None:
        return out + [i for i in ids if i not in out]
    position = op.position
    if isinstance(position, (Before, After)) and position.anchor.id not in order:
        position = End()  # a non-strict anchor that is not a member
    return _place(out, ids, position)


def _place(order: list[str], ids: list[str], position: Position) -> list[str]:
    rest = [m for m in order if m not in ids]
    if isinstance(position, Start):
        return ids + rest
    if isinstance(position, End):
        return rest + ids
    assert isinstance(position, (Before, After))
    i = rest.index(position.anchor.id or "") + (1 if isinstance(position, After) else 0)
    return rest[:i] + ids + rest[i:]


def _window(keys: dict[str, str], ids: tuple[str, ...]) -> dict[str, str]:
    """What the store reads ``around`` ids: their keys, each one's neighbours, the two ends."""
    order = sorted(keys, key=lambda m: keys[m])
    out = {m: keys[m] for m in ids if m in keys}
    if order:
        out[order[0]] = keys[order[0]]
        out[order[-1]] = keys[order[-1]]
    for m in list(out):
        i = order.index(m)
        for j in (i - 1, i + 1):
            if 0 <= j < len(order):
                out[order[j]] = keys[order[j]]
    return out


def _random_position(rng: random.Random, pool: list[str]) -> Position:
    kind = rng.choice(["start", "end", "before", "after"])
    if kind == "start":
        return Start()
    if kind == "end":
        return End()
    anchor = c(rng.choice(pool))
    return Before(anchor, strict=False) if kind == "before" else After(anchor, strict=False)


@pytest.mark.parametrize("seed", range(60))
def test_placements_from_the_window_match_the_list_reference(seed: int) -> None:
    rng = random.Random(seed)
    order = [str(i) for i in rng.sample(range(1, 40), rng.randint(0, 12))]
    keys = dict(zip(order, generate_n_keys_between(None, None, len(order)), strict=True))
    pool = [str(i) for i in range(1, 40)]
    for _ in range(6):
        count = rng.randint(1, 3)
        targets = tuple(c(i) for i in rng.sample(pool, count))
        mode = rng.choice(["plain", "one", "each"])
        if mode == "plain":
            op = Add(c(0), "categories", targets)
        elif mode == "one":
            position = _random_position(rng, [p for p in pool if p not in {t.id for t in targets}])
            op = Add(c(0), "categories", targets, position)
        else:
            op = Add(c(0), "categories", targets, positions=tuple(_random_position(rng, pool) for _ in targets))
        try:
            expect = _reference(order, op)
        except ProblemError:  # a circle of anchors: both refuse it
            with pytest.raises(ProblemError):
                placements(op, _window(keys, interest(op)), frozenset(order))
            continue
        placed = placements(op, _window(keys, interest(op)), frozenset(order))
        keys.update(placed)
        order = sorted(keys, key=lambda m: keys[m])
        assert order == expect, (op, order, expect)


def test_strict_anchor_not_a_member_and_self_anchor_are_refused() -> None:
    with pytest.raises(ProblemError) as not_member:
        placements(Add(c(0), "categories", (c(1),), Before(c(9))), {"2": "a0"}, frozenset({"2"}))
    assert not_member.value.problems[0].code == "invalid-position"
    with pytest.raises(ProblemError) as itself:
        placements(Add(c(0), "categories", (c(1),), After(c(1))), {"1": "a0"}, frozenset({"1"}))
    assert "relative to itself" in itself.value.problems[0].detail


def test_plain_add_keys_only_new_members_after_the_last() -> None:
    placed = placements(Add(c(0), "categories", (c(1), c(3), c(3))), {"1": "a0", "2": "a1"}, frozenset({"1", "2"}))
    assert [m for m, _ in placed] == ["3"] and placed[0][1] > "a1"
