"""The store features the Strapi front door relies on, on SQLite and PostgreSQL.

- ``Add`` with per-target ``positions`` (Strapi connect arrays whose anchors point forward);
- ``Remove`` on a to-one clears it only when it names one of the targets (Strapi disconnect).
"""

from __future__ import annotations

from typing import Any

import pytest

from relgate.model import Add, After, Before, End, GetLinkage, Ident, ProblemError, Remove, Replace, SetOne, Start
from relgate.store import Store
from tests.store.test_store import make, run


async def linkage(store: Store, ref: Ident, rel: str) -> Any:
    (res,) = await run(store, GetLinkage(ref, rel))
    if isinstance(res.linkage, tuple):
        return [i.id for i in res.linkage]
    return res.linkage.id if res.linkage else None


async def test_per_target_positions_depend_on_current_members(store: Store) -> None:
    r = await make(store, "restaurants", name="R")
    c = {i: await make(store, "categories", name=f"c{i}") for i in range(1, 6)}
    ids = {v.id: k for k, v in c.items()}

    def add(*items: tuple[int, Any]) -> Add:
        return Add(r, "categories", tuple(c[i] for i, _ in items), positions=tuple(p for _, p in items))

    # Reference §1.5: [1,2,3] + [{5 before 1},{1 before 2},{2 end}] -> [5,1,3,2] (anchors are members) ...
    await run(store, Replace(r, "categories", (c[1], c[2], c[3])))
    await run(store, add((5, Before(c[1])), (1, Before(c[2])), (2, End())))
    assert [ids[i] for i in await linkage(store, r, "categories")] == [5, 1, 3, 2]
    # ... and from empty, the same array plus {3 after 1} pulls the anchors forward -> [5,1,3,2].
    await run(store, Replace(r, "categories", ()))
    await run(store, add((5, Before(c[1])), (1, Before(c[2])), (2, End()), (3, After(c[1]))))
    assert [ids[i] for i in await linkage(store, r, "categories")] == [5, 1, 3, 2]
    await run(store, Replace(r, "categories", ()))
    await run(store, add((1, Start()), (2, Start()), (3, After(c[1]))))
    assert [ids[i] for i in await linkage(store, r, "categories")] == [2, 1, 3]


async def test_per_target_positions_fail_atomically(store: Store) -> None:
    r = await make(store, "restaurants", name="R")
    a, b, x = [await make(store, "categories", name=n) for n in "abx"]
    await run(store, Replace(r, "categories", (a,)))
    anchor = Ident("categories", x.id, at=("data", "categories", "connect", 1, "position", "after"))
    with pytest.raises(ProblemError) as err:
        await run(store, Add(r, "categories", (b, a), positions=(End(), After(anchor))))
    assert [(p.code, p.at, (p.meta or {}).get("reason")) for p in err.value.problems] == [("invalid-position", anchor.at, "not-member")]
    assert await linkage(store, r, "categories") == [a.id]  # b was not added
    await run(store, Add(r, "categories", (b, a), positions=(End(), After(x, strict=False))))
    assert await linkage(store, r, "categories") == [b.id, a.id]


async def test_remove_on_a_to_one_clears_only_the_named_target(store: Store) -> None:
    ann, bob = await make(store, "people", name="Ann"), await make(store, "people", name="Bob")
    art = await make(store, "articles", title="t")
    await run(store, SetOne(art, "author", ann))
    await run(store, Remove(art, "author", (bob,)))
    assert await linkage(store, art, "author") == ann.id
    await run(store, Remove(art, "author", (Ident("people", "999"), ann)))
    assert await linkage(store, art, "author") is None
    assert await linkage(store, ann, "articles") == []
