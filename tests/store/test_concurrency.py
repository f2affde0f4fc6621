"""Concurrent batches on one store (SQLite and PostgreSQL): no lost writes, no crashes.

SQLite serialises writers (``BEGIN IMMEDIATE``); PostgreSQL locks the owning row of a
relationship change (``SELECT … FOR UPDATE``) so rank keys are computed from a settled list.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from relgate.model import Add, Batch, Before, Create, End, GetLinkage, Ident, ProblemError, Update
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


async def test_writers_from_both_sides_of_an_ordered_pair_never_fail(store: Store) -> None:
    """Restaurant-side and category-side adds of the same pairs at once (PostgreSQL: no deadlock 500s).

    Each restaurant-side add locks the restaurant and its join-row insert checks the category's
    key; each category-side add does the reverse: without a fixed lock order the two close a cycle.
    """
    rests = [await make(store, "restaurants", f"r{i}") for i in range(6)]
    cats = [await make(store, "categories", f"c{i}") for i in range(6)]
    ops = []
    for i, r in enumerate(rests):
        for j, c in enumerate(cats):
            ops.append(Add(r, "categories", (c,)) if (i + j) % 2 else Add(c, "restaurants", (r,)))
    for _ in range(3):
        results = await asyncio.gather(*(store.execute(Batch((op,))) for op in ops), return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        ops.reverse()
    for r in rests:
        order = await members(store, r, "categories")
        assert sorted(order) == sorted(c.id for c in cats)
    await assert_ranks_unique(store)


async def test_concurrent_adds_from_the_unordered_side_give_distinct_ranks(store: Store) -> None:
    """40 categories each add one restaurant at once: the restaurant's ranks for them must all differ."""
    r = await make(store, "restaurants", "R")
    cats = [await make(store, "categories", f"c{i}") for i in range(40)]
    results = await asyncio.gather(*(store.execute(Batch((Add(c, "restaurants", (r,)),))) for c in cats), return_exceptions=True)
    assert [x for x in results if isinstance(x, BaseException)] == []
    await assert_ranks_unique(store)
    # a positional insert then lands exactly where asked
    newcomer = await make(store, "categories", "new")
    order = await members(store, r, "categories")
    await store.execute(Batch((Add(r, "categories", (newcomer,), Before(Ident("categories", order[20]))),)))
    after = await members(store, r, "categories")
    assert after == [*order[:20], newcomer.id, *order[20:]]


async def assert_ranks_unique(store: Store) -> None:
    join = store.tables.joins["categories__restaurants"]
    async with store.engine.connect() as conn:
        rows = (await conn.execute(sa.select(join.c.target_id, join.c.target_rank))).all()
    assert all(rank is not None for _, rank in rows)
    assert len(rows) == len(set(rows)), "two members of one restaurant share a rank"


WAITING = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"


async def _deadlock(store: Store, pg_url: str) -> list[object]:
    """Two batches locking two people in opposite orders while a third connection holds the first lock.

    When that lock goes, each batch holds one person and waits for the other: a real deadlock,
    which PostgreSQL breaks (after ``deadlock_timeout``) by failing one of them with 40P01.
    """
    import asyncpg

    a, b = await make(store, "people", "a"), await make(store, "people", "b")
    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    holder, watcher = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT id FROM people WHERE id = $1 FOR UPDATE", int(a.id))
        first = asyncio.ensure_future(store.execute(Batch((Update(a, {"age": 1}), Update(b, {"age": 1})))))
        second = asyncio.ensure_future(store.execute(Batch((Update(b, {"age": 2}), Update(a, {"age": 2})))))
        for _ in range(750):  # both batches waiting on the holder's lock (up to 15 s on a busy machine)
            if await watcher.fetchval(WAITING) >= 2:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the two batches never both waited on the held lock")
        await tx.rollback()
        return list(await asyncio.gather(first, second, return_exceptions=True))
    finally:
        await holder.close()
        await watcher.close()


@pytest.mark.postgres
async def test_a_deadlocked_batch_is_rerun_and_succeeds(example_config, pg_url: str) -> None:
    store = Store.from_url(pg_url, example_config.schema)
    await store.open()
    try:
        results = await _deadlock(store, pg_url)
        assert [r for r in results if isinstance(r, BaseException)] == []
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_batch_still_deadlocked_after_the_reruns_is_503_with_retry_after(example_config, pg_url: str, monkeypatch) -> None:
    import relgate.store

    monkeypatch.setattr(relgate.store, "RETRIES", 0)
    store = Store.from_url(pg_url, example_config.schema)
    await store.open()
    try:
        results = await _deadlock(store, pg_url)
        failed = [r for r in results if isinstance(r, BaseException)]
        assert len(failed) == 1, results
        assert isinstance(failed[0], ProblemError)
        assert failed[0].status == 503 and failed[0].headers == {"Retry-After": "1"}
        assert "deadlock" not in failed[0].problems[0].detail
    finally:
        await store.close()


async def test_the_schema_refuses_two_members_at_one_rank(store: Store) -> None:
    r = await make(store, "restaurants", "R")
    a, b = await make(store, "categories", "a"), await make(store, "categories", "b")
    join = store.tables.joins["categories__restaurants"]
    with pytest.raises(sa.exc.IntegrityError):
        async with store.engine.begin() as conn:
            await conn.execute(
                sa.insert(join), [{"source_id": int(c.id), "target_id": int(r.id), "target_rank": "a0"} for c in (a, b)]
            )
