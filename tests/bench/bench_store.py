"""Store benchmarks: the hot path against the raw driver, writers' tail latency, cost vs relationship size.

Run by hand (not part of CI's pass/fail)::

    .venv/bin/python tests/bench/bench_store.py            # every section, SQLite and PostgreSQL
    .venv/bin/python tests/bench/bench_store.py --sections hot,writers --backends sqlite
    .venv/bin/python tests/bench/bench_store.py --sections scaling --sizes 10,1000 --reps 50

Sections (``--sections``, default all three):

- ``hot``: ``store.execute`` of the three requests of bench_http.py (GET one person, a page of
  20 people with their computers included and the total, an idempotent relationship add) on 100
  people with 3 computers and 1 article each, against the same SQL statements sent raw to the
  driver, in the same transaction shape (listed by ``--show-sql``): on SQLite through aiosqlite
  (an await per call, as an async application would) and through sqlite3 in one worker-thread
  hand-off (the floor); on PostgreSQL through asyncpg (reads in autocommit, the write in a
  transaction).  Prints medians in ms and store/raw ratios (goal: within 2x).
- ``writers``: 16 concurrent writers (``--writers``), each running its batches one after the
  other (an attribute update, an idempotent relationship add); p50 and p99 of a batch's time
  (goal on SQLite: p99 within 3x of p50).
- ``scaling``: for each size, fills ``restaurants.categories`` (ordered, join table with rank
  keys) and ``people.computers`` (unordered, foreign key) with that many members, then times
  single-operation batches (each its own transaction) and prints the median milliseconds per
  operation and the ratio largest/smallest size.  The goal is a ratio near 1: an operation's
  cost must not grow with the relationship's size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fractional_indexing import generate_key_between

from relgate.config import load
from relgate.model import Add, Batch, Before, Get, Ident, List, Page, Query, Remove, Update
from relgate.store import Store

ROOT = Path(__file__).resolve().parents[2]


async def fill(store: Store, size: int) -> tuple[Ident, Ident, list[Any]]:
    """A restaurant with ``size`` ranked categories and a person with ``size`` computers, in bulk."""
    cats = store.tables.of("categories")
    rests = store.tables.of("restaurants")
    join = store.tables.joins["categories__restaurants"]
    people = store.tables.of("people")
    computers = store.tables.of("computers")
    async with store.engine.begin() as conn:
        rid = (await conn.execute(sa.insert(rests).values(name=f"r{size}").returning(rests.c.id))).scalar_one()
        pid = (await conn.execute(sa.insert(people).values(name=f"p{size}-{uuid.uuid4().hex[:6]}").returning(people.c.id))).scalar_one()
        first = (await conn.execute(sa.select(sa.func.coalesce(sa.func.max(cats.c.id), 0)))).scalar_one() + 1
        await conn.execute(sa.insert(cats), [{"id": first + i, "name": f"c{i}"} for i in range(size)])
        key: str | None = None
        rows = []
        for i in range(size):
            key = generate_key_between(key, None)
            rows.append({"source_id": first + i, "target_id": rid, "target_rank": key})
        for i in range(0, len(rows), 5000):
            await conn.execute(sa.insert(join), rows[i : i + 5000])
        cfirst = (await conn.execute(sa.select(sa.func.coalesce(sa.func.max(computers.c.id), 0)))).scalar_one() + 1
        comp_rows = [{"id": cfirst + i, "name": f"m{size}-{i}", "owner_id": pid} for i in range(size)]
        for i in range(0, len(comp_rows), 5000):
            await conn.execute(sa.insert(computers), comp_rows[i : i + 5000])
        if conn.dialect.name == "postgresql":
            for t in ("categories", "computers"):
                await conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"))
    # A bulk load is followed by statistics (autovacuum would do it shortly after on a live server).
    async with store.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text("ANALYZE"))
    middle = Ident("categories", str(first + size // 2))
    return Ident("restaurants", str(rid)), Ident("people", str(pid)), [middle]


async def spare(store: Store, type_: str, n: int) -> list[Ident]:
    table = store.tables.of(type_)
    async with store.engine.begin() as conn:
        ids = []
        for _ in range(n):
            ids.append((await conn.execute(sa.insert(table).values(name=f"spare-{uuid.uuid4().hex}").returning(table.c.id))).scalar_one())
    return [Ident(type_, str(i)) for i in ids]


async def timed(store: Store, batches: list[Batch]) -> float:
    samples = []
    for b in batches:
        t0 = time.perf_counter()
        await store.execute(b)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


async def bench_backend(url: str, sizes: list[int], reps: int) -> dict[int, dict[str, float]]:
    config = load(ROOT / "gateway.example.toml")
    store = Store.from_url(url, config.schema)
    await store.open()
    out: dict[int, dict[str, float]] = {}
    try:
        for size in sizes:
            rest, person, (middle,) = await fill(store, size)
            cats = await spare(store, "categories", reps)
            comps = await spare(store, "computers", reps)
            # Warm caches and the connection pool once.
            await store.execute(Batch((Add(rest, "categories", (cats[0],)), Remove(rest, "categories", (cats[0],)))))
            row = {
                "ordered add (end)": await timed(store, [Batch((Add(rest, "categories", (c,)),)) for c in cats]),
                "ordered remove": await timed(store, [Batch((Remove(rest, "categories", (c,)),)) for c in cats]),
                "positional insert": await timed(store, [Batch((Add(rest, "categories", (c,), Before(middle)),)) for c in cats]),
                "unordered add": await timed(store, [Batch((Add(person, "computers", (c,)),)) for c in comps]),
                "unordered remove": await timed(store, [Batch((Remove(person, "computers", (c,)),)) for c in comps]),
            }
            out[size] = row
    finally:
        await store.close()
    return out


async def pg_database() -> tuple[str, Any]:
    import asyncpg

    name = f"relgate_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(host="127.0.0.1", user="postgres", database="test")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()

    async def drop() -> None:
        c = await asyncpg.connect(host="127.0.0.1", user="postgres", database="test")
        await c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await c.close()

    return f"postgresql+asyncpg://postgres@127.0.0.1/{name}", drop


def report(backend: str, results: dict[int, dict[str, float]]) -> None:
    sizes = sorted(results)
    ops = list(results[sizes[0]])
    print(f"\n{backend}: median ms per operation (one batch = one transaction)")
    print(f"  {'operation':<20}" + "".join(f"{s:>12,}" for s in sizes) + f"{'ratio ' + str(sizes[-1]) + '/' + str(sizes[0]):>20}")
    for op in ops:
        values = [results[s][op] for s in sizes]
        print(f"  {op:<20}" + "".join(f"{v:>12.3f}" for v in values) + f"{values[-1] / values[0]:>20.2f}")


@contextlib.asynccontextmanager
async def scratch_store(backend: str) -> AsyncIterator[tuple[str, str]]:
    """``(label, url)`` of an empty store for ``backend`` (a temporary SQLite file or PostgreSQL database)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield "SQLite (file, WAL)", f"sqlite+aiosqlite:///{tmp}/bench.db"
        return
    url, drop = await pg_database()
    try:
        yield "PostgreSQL", url
    finally:
        await drop()


# --- hot path: store.execute against the raw driver ----------------------------------------------

PEOPLE, COMPUTERS_EACH = 100, 3


def _marks(n: int) -> str:
    return ", ".join("?" * n)


HOT_BATCHES = {
    "get-one": Batch((Get(Ident("people", "1"), Query()),)),
    "page-include": Batch((List("people", Query(page=Page(0, 20), include=(("computers",),), count=True)),)),
    "rel-write": Batch((Add(Ident("people", "1"), "computers", (Ident("computers", "1"),)),)),
}
"""The batches the JSON:API front door makes of bench_http.py's three requests."""

RAW_SQL: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
    "get-one": [
        ("SELECT id, name, age, birth_date FROM people WHERE id = ?", (1,)),
        ("SELECT author_id, id FROM articles WHERE author_id IN (?) ORDER BY author_id, id", (1,)),
        ("SELECT owner_id, id FROM computers WHERE owner_id IN (?) ORDER BY owner_id, id", (1,)),
    ],
    "page-include": [
        ("SELECT count(*) FROM people", ()),
        ("SELECT id, name, age, birth_date FROM people ORDER BY id LIMIT ? OFFSET ?", (20, 0)),
        (f"SELECT author_id, id FROM articles WHERE author_id IN ({_marks(20)}) ORDER BY author_id, id", tuple(range(1, 21))),
        (f"SELECT owner_id, id FROM computers WHERE owner_id IN ({_marks(20)}) ORDER BY owner_id, id", tuple(range(1, 21))),
        (f"SELECT id, name, vendor, purchase_time, owner_id FROM computers WHERE id IN ({_marks(60)})", tuple(range(1, 61))),
    ],
    "rel-write": [
        ("SELECT id FROM people WHERE id = ?", (1,)),  # PostgreSQL: FOR NO KEY UPDATE (the owner's row lock)
        ("SELECT id FROM computers WHERE id IN (?)", (1,)),
        ("SELECT id FROM computers WHERE owner_id = ? AND id IN (?)", (1, 1)),
    ],
}
"""What each batch needs, as plain SQL: the row (existence included), the linkage, the members, the checks."""


def _dollar(sql: str) -> str:
    out, n = [], 0
    for ch in sql:
        if ch == "?":
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
    return "".join(out)


async def seed_hot(store: Store) -> None:
    people = [{"id": i, "name": f"person-{i}", "age": 20 + i % 50} for i in range(1, PEOPLE + 1)]
    computers = [
        {"id": (p - 1) * COMPUTERS_EACH + k + 1, "name": f"computer-{p}-{k}", "vendor": "Dell", "owner_id": p}
        for p in range(1, PEOPLE + 1)
        for k in range(COMPUTERS_EACH)
    ]
    articles = [{"id": i, "title": f"article-{i}", "author_id": i} for i in range(1, PEOPLE + 1)]
    async with store.engine.begin() as conn:
        for name, values in (("people", people), ("computers", computers), ("articles", articles)):
            await conn.execute(sa.insert(store.tables.of(name)), values)
        if conn.dialect.name == "postgresql":
            for t in ("people", "computers", "articles"):
                await conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"))
    async with store.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text("ANALYZE"))


async def median_ms(run: Any, reps: int) -> float:
    for _ in range(min(50, reps)):
        await run()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        await run()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


async def raw_sqlite(path: str) -> dict[str, dict[str, Any]]:
    """Runners of RAW_SQL on SQLite: through aiosqlite call by call, and through sqlite3 in one thread hand-off."""
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    import aiosqlite

    adb = await aiosqlite.connect(path, isolation_level=None)
    sdb = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    pool = ThreadPoolExecutor(1)
    loop = asyncio.get_running_loop()

    def via_aiosqlite(name: str) -> Any:
        async def run() -> None:
            await adb.execute("BEGIN IMMEDIATE" if name == "rel-write" else "BEGIN")
            for sql, params in RAW_SQL[name]:
                async with adb.execute(sql, params) as cur:
                    await cur.fetchall()
            await adb.execute("COMMIT")

        return run

    def via_thread(name: str) -> Any:
        def batch() -> None:
            cur = sdb.cursor()
            cur.execute("BEGIN IMMEDIATE" if name == "rel-write" else "BEGIN")
            for sql, params in RAW_SQL[name]:
                cur.execute(sql, params).fetchall()
            cur.execute("COMMIT")

        async def run() -> None:
            await loop.run_in_executor(pool, batch)

        return run

    async def close() -> None:
        await adb.close()
        sdb.close()
        pool.shutdown()

    return {"aiosqlite": {n: via_aiosqlite(n) for n in RAW_SQL}, "sqlite3, one hop": {n: via_thread(n) for n in RAW_SQL}, "_close": close}  # type: ignore[dict-item]


async def raw_postgresql(url: str) -> dict[str, dict[str, Any]]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))

    def via_asyncpg(name: str) -> Any:
        statements = [
            (_dollar(sql) + (" FOR NO KEY UPDATE" if name == "rel-write" and i == 0 else ""), p) for i, (sql, p) in enumerate(RAW_SQL[name])
        ]

        async def run() -> None:
            if name == "rel-write":
                async with conn.transaction():
                    for sql, params in statements:
                        await conn.fetch(sql, *params)
            else:
                for sql, params in statements:
                    await conn.fetch(sql, *params)

        return run

    return {"asyncpg": {n: via_asyncpg(n) for n in RAW_SQL}, "_close": conn.close}  # type: ignore[dict-item]


async def bench_hot(label: str, url: str, reps: int, show_sql: bool) -> None:
    store = Store.from_url(url, load(ROOT / "gateway.example.toml").schema)
    await store.open()
    try:
        await seed_hot(store)
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(" ".join(statement.split()))

        counts = {}
        sa.event.listen(store.engine.sync_engine, "before_cursor_execute", record)  # every statement a batch runs (BEGIN too)
        for name, batch in HOT_BATCHES.items():
            statements.clear()
            await store.execute(batch)
            counts[name] = statements[:]
        sa.event.remove(store.engine.sync_engine, "before_cursor_execute", record)
        raws = await (raw_sqlite(url.split(":///", 1)[1]) if url.startswith("sqlite") else raw_postgresql(url))
        close = raws.pop("_close")
        try:
            print(f"\n{label}: store.execute against the same statements sent raw (median ms of {reps}; store/raw)")
            print(f"  {'request':<14}{'store':>9}{'statements':>12}" + "".join(f"{k:>18}{'ratio':>7}" for k in raws))
            for name, batch in HOT_BATCHES.items():
                store_ms = await median_ms(lambda b=batch: store.execute(b), reps)
                line = f"  {name:<14}{store_ms:9.3f}{len(counts[name]):>12}"
                for runners in raws.values():
                    raw_ms = await median_ms(runners[name], reps)
                    line += f"{raw_ms:18.3f}{store_ms / raw_ms:7.2f}"
                print(line, flush=True)
                if show_sql:
                    for sql in counts[name]:
                        print(f"      store: {sql[:160]}")
        finally:
            await close()
    finally:
        await store.close()


# --- writers' tail latency -------------------------------------------------------------------------


async def bench_writers(label: str, url: str, writers: int, per_writer: int) -> None:
    store = Store.from_url(url, load(ROOT / "gateway.example.toml").schema)
    await store.open()
    try:
        await seed_hot(store)
        latencies: list[float] = []

        async def writer(k: int) -> None:
            person = Ident("people", str(k + 1))
            for i in range(per_writer):
                if i % 2:
                    batch = Batch((Add(person, "computers", (Ident("computers", str(k * COMPUTERS_EACH + 1)),)),))
                else:
                    batch = Batch((Update(person, {"age": i}, returning=False),))
                t0 = time.perf_counter()
                await store.execute(batch)
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(writer(k) for k in range(writers)))  # warm-up round
        latencies.clear()
        t0 = time.perf_counter()
        await asyncio.gather(*(writer(k) for k in range(writers)))
        elapsed = time.perf_counter() - t0
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
        print(
            f"\n{label}: {writers} concurrent writers x {per_writer} batches: p50 {p50:.2f} ms, p99 {p99:.2f} ms,"
            f" max {latencies[-1] * 1000:.2f} ms, p99/p50 {p99 / p50:.2f} (goal <= 3), {len(latencies) / elapsed:.0f} batches/s"
        )
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sections", default="hot,writers,scaling")
    parser.add_argument("--sizes", default="10,1000,100000")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--hot-reps", type=int, default=500)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--per-writer", type=int, default=40)
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    sections = args.sections.split(",")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    for backend in args.backends.split(","):
        if "hot" in sections:
            async with scratch_store(backend) as (label, url):
                await bench_hot(label, url, args.hot_reps, args.show_sql)
        if "writers" in sections:
            async with scratch_store(backend) as (label, url):
                await bench_writers(label, url, args.writers, args.per_writer)
        if "scaling" in sections:
            async with scratch_store(backend) as (label, url):
                report(label, await bench_backend(url, sizes, args.reps))
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    asyncio.run(main())
