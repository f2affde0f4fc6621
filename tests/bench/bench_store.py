"""Store benchmark: cost of add / remove / positional insert vs the relationship's size.

Run by hand (not part of CI's pass/fail)::

    .venv/bin/python tests/bench/bench_store.py            # SQLite and PostgreSQL
    .venv/bin/python tests/bench/bench_store.py --sizes 10,1000 --reps 50 --backends sqlite

For each backend and size it fills ``restaurants.categories`` (ordered, join table with rank
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
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fractional_indexing import generate_key_between

from relgate.config import load
from relgate.model import Add, Batch, Before, Ident, Remove
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,1000,100000")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for backend in args.backends.split(","):
        async with scratch_store(backend) as (label, url):
            report(label, await bench_backend(url, sizes, args.reps))


if __name__ == "__main__":
    asyncio.run(main())
