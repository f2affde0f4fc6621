"""Benchmark: 0.17 ``q`` searches through relations over 100,000 people with 10 computers each.

Run by hand (not part of CI's pass/fail)::

    .venv/bin/python tests/bench/bench_restless_legacy.py                    # SQLite and PostgreSQL
    .venv/bin/python tests/bench/bench_restless_legacy.py --people 10000 --backends sqlite

Each backend gets the example gateway over a fresh database, bulk-loaded with ``--people``
people and ``--per-person`` computers each (a tenth of the people own an Apple).  Requests go
through the real Gateway in-process (ASGI); the SQL of each request is captured with
SQLAlchemy's ``before_cursor_execute`` event and printed.  Times are printed, never asserted.

What is checked (and printed as ``ok``): the relation filter is one ``EXISTS`` subquery inside
the page query and the count query -- one statement each, whatever the number of rows -- and
a request runs the same number of statements for a page of 10 as for a page of 50 (no N+1:
linkage and related objects are read per relationship for the whole page; only the store's
900-id chunking of IN lists adds one statement for 100 people with 10 computers each).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from bench_store import scratch_store  # the script's own folder is on sys.path

from relgate.app import Gateway
from relgate.config import load

ROOT = Path(__file__).resolve().parents[2]
VENDORS = ("Dell", "Lenovo", "HP", "Acer", "Asus", "Toshiba", "Samsung", "Sony", "Fujitsu", "MSI")

SEARCHES: dict[str, tuple[str, dict[str, Any]]] = {
    "person: computers__vendor any Apple": (
        "/legacy/api/person",
        {"filters": [{"name": "computers__vendor", "op": "any", "val": "Apple"}]},
    ),
    "person: computers any {vendor eq Apple, name like %-3}": (
        "/legacy/api/person",
        {
            "filters": [
                {
                    "name": "computers",
                    "op": "any",
                    "val": {"and": [{"name": "vendor", "op": "eq", "val": "Apple"}, {"name": "name", "op": "like", "val": "%-3"}]},
                },
                {"name": "age", "op": "ge", "val": 30},
            ],
            "order_by": [{"field": "age", "direction": "desc"}],
        },
    ),
    "computer: owner has {age lt 20}": (
        "/legacy/api/computer",
        {"filters": [{"name": "owner", "op": "has", "val": {"name": "age", "op": "lt", "val": 20}}]},
    ),
}


async def load_data(gw: Gateway, people: int, per_person: int) -> None:
    store = gw.store
    ptable = store.tables.of("people")
    ctable = store.tables.of("computers")
    chunk = 5000
    async with store.engine.begin() as conn:
        for start in range(0, people, chunk):
            rows = [{"id": i + 1, "name": f"person-{i}", "age": 18 + i % 60} for i in range(start, min(people, start + chunk))]
            await conn.execute(sa.insert(ptable), rows)
        batch: list[dict[str, Any]] = []
        cid = 0
        for p in range(people):
            for k in range(per_person):
                cid += 1
                vendor = "Apple" if (p % 10 == 0 and k == 3) else VENDORS[(p + k) % len(VENDORS)]
                batch.append({"id": cid, "name": f"c-{p}-{k}", "vendor": vendor, "owner_id": p + 1})
                if len(batch) == chunk:
                    await conn.execute(sa.insert(ctable), batch)
                    batch = []
        if batch:
            await conn.execute(sa.insert(ctable), batch)
        if conn.dialect.name == "postgresql":
            for t in ("people", "computers"):
                await conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"))
    async with store.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text("ANALYZE"))


class SqlLog:
    """Statements run by the store, captured with SQLAlchemy's engine event."""

    def __init__(self, gw: Gateway) -> None:
        self.statements: list[str] = []
        sa.event.listen(gw.store.engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        self.statements.append(" ".join(statement.split()))

    async def during(self, request: Awaitable[httpx.Response]) -> tuple[httpx.Response, list[str]]:
        """Run ``request`` (a coroutine not yet started) and return what it answered and ran."""
        self.statements = []
        response = await request
        return response, list(self.statements)


async def bench_backend(url: str, people: int, per_person: int, reps: int) -> None:
    config = dataclasses.replace(load(ROOT / "gateway.example.toml"), store_url=url)
    async with Gateway(config) as gw:
        t0 = time.perf_counter()
        await load_data(gw, people, per_person)
        print(f"  loaded {people:,} people and {people * per_person:,} computers in {time.perf_counter() - t0:.1f} s")
        log = SqlLog(gw)
        transport = httpx.ASGITransport(app=gw)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, (path, q) in SEARCHES.items():
                params = {"q": json.dumps(q)}
                counts = {}
                for per_page in (10, 50, 100):
                    response, statements = await log.during(client.get(path, params={**params, "results_per_page": str(per_page)}))
                    assert response.status_code == 200, response.text
                    counts[per_page] = len(statements)
                doc = response.json()
                samples = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    r = await client.get(path, params=params)
                    samples.append(time.perf_counter() - t0)
                    assert r.status_code == 200
                _, statements = await log.during(client.get(path, params=params))
                exists = [s for s in statements if "EXISTS" in s.upper()]
                print(f"\n  {label}")
                median, fastest = statistics.median(samples) * 1000, min(samples) * 1000
                print(
                    f"    num_results {doc['num_results']:,}; median {median:.1f} ms, min {fastest:.1f} ms over {reps} requests (10 a page)"
                )
                print(
                    f"    statements per request: {counts[10]} for a page of 10, {counts[50]} for 50, {counts[100]} for 100"
                    " (the store sends IN lists in chunks of 900 ids)"
                )
                for i, s in enumerate(statements, 1):
                    print(f"    [{i}] {s}")
                one_search = len(exists) == 2 and any("count(" in s.lower() for s in exists)
                no_n_plus_1 = counts[10] == counts[50] and counts[100] <= counts[10] + 1
                print(f"    filter is one EXISTS in the page query and one in the count: {'ok' if one_search else 'NO'}")
                print(f"    statement count does not follow the page size (no N+1): {'ok' if no_n_plus_1 else 'NO'}")
                assert one_search, "the relation filter must run as one EXISTS statement (page) plus its count"
                assert no_n_plus_1, "statements per request must not grow with the page size"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        async with scratch_store(backend) as (label, url):
            print(f"\n{label}")
            await bench_backend(url, args.people, args.per_person, args.reps)


if __name__ == "__main__":
    asyncio.run(main())
