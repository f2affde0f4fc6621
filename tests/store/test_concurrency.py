"""Concurrent batches on one store (SQLite and PostgreSQL): no lost writes, no crashes.

SQLite serialises writers (``BEGIN IMMEDIATE``); PostgreSQL locks the owning row of a
relationship change (``SELECT … FOR UPDATE``) so rank keys are computed from a settled list.
"""

from __future__ import annotations

import asyncio

from relgate.model import Add, Batch, Before, Create, End, GetLinkage, Ident, ProblemError
from relgate.store import Store


async def make(store: Store, type_: str, name: str) -> Ident:
    (one,) = (await store.execute(Batch((Create(None, type_, {"name": name}),)))).results
    return one.item.ident


async def members(store: Store, ref: Ident, rel: str) -> list[str]:
    (res,) = (await store.execute(Batch((GetLinkage(ref, rel),)))).results
    return [i.id for i in res.linkage]


async def test_concurrent_positional_adds_keep_every_member_once(store: Store) -> None:
    r = await make(store, "restaurants", "R")
    first, last = await make(store, "categories", "first"), await make(store, "categories", "last")
    await store.execute(Batch((Add(r, "categories", (first, last)),)))
    cats = [await make(store, "categories", f"c{i}") for i in range(16)]
    ops = [Add(r, "categories", (c,), Before(last)) if i % 2 else Add(r, "categories", (c,), End()) for i, c in enumerate(cats)]
    await asyncio.gather(*(store.execute(Batch((op,))) for op in ops))
    order = await members(store, r, "categories")
    assert sorted(order) == sorted([first.id, last.id, *(c.id for c in cats)])
    assert len(order) == len(set(order))
    assert order[0] == first.id
    before_last = order[: order.index(last.id)]
    assert {c.id for i, c in enumerate(cats) if i % 2} <= set(before_last)
    assert {c.id for i, c in enumerate(cats) if not i % 2} <= set(order[order.index(last.id) + 1 :])


async def test_concurrent_creates_of_one_unique_value_give_one_resource_and_conflicts(store: Store) -> None:
    results = await asyncio.gather(
        *(store.execute(Batch((Create(None, "people", {"name": "same"}),))) for _ in range(8)), return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 1
    assert failed and all(isinstance(f, ProblemError) and f.status == 409 for f in failed)
