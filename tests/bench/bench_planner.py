"""The planner's emulations: backend requests per caller request, and the overlay's cost at scale.

Everything in one process: the backend is relgate's own store serving the backend dialect (a
SQLite file) reached through ``httpx.ASGITransport``, the proxy a second relgate in front of it
(tests/targets/proxy_support.py's rig), a counting transport between them.  Prints, nothing is
asserted:

- requests: for each rule, the backend requests one caller request costs (the minimum the rule
  needs is noted beside it), counted with a transport that logs every request;
- overlay: the latency of an emulated positional connect (``Add`` before an anchor, carried out by
  the remote target: one backend request and two overlay transactions) on a list of 10 members
  and on one of 100,000 (goal: ratio <= 1.5), p50 and mean over ``--repeat`` connects each.

    .venv/bin/python tests/bench/bench_planner.py [--repeat 300] [--members 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from fractional_indexing import generate_n_keys_between  # noqa: E402

from relgate.model import Add, Batch, Before, Ident  # noqa: E402
from relgate.store.overlay import keys as overlay_keys  # noqa: E402
from relgate.store.overlay import lists as overlay_lists  # noqa: E402
from tests.targets.proxy_support import rig  # noqa: E402

J = {"content-type": "application/vnd.api+json", "accept": "application/vnd.api+json"}


class Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.log: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.log.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)


def _wrapper(holder: list[Counting]) -> Any:
    def wrap(inner: httpx.AsyncBaseTransport) -> Counting:
        holder.append(Counting(inner))
        return holder[0]

    return wrap


async def _count(counter: Counting, call: Any) -> tuple[int, list[str]]:
    counter.log = []
    response = await call()
    assert response.status_code < 300, response.text
    return len(counter.log), list(counter.log)


# --- backend requests per caller request ---------------------------------------------------------


async def requests_rows(tmp: Path) -> list[tuple[str, int, str]]:
    rows: list[tuple[str, int, str]] = []
    counted: list[Counting] = []
    async with rig(f"sqlite+aiosqlite:///{tmp / 'b1.db'}", "restless-legacy", "jsonapi", wrap=_wrapper(counted)) as r:
        for i, age in enumerate((10, 20, 30, 40)):
            await r.client.post("/legacy/api/person", json={"name": f"p{i}", "age": age})
        q = {"filters": [{"name": "age", "op": "lt", "val": 35}]}
        n, _ = await _count(counted[0], lambda: r.client.patch("/legacy/api/person", json={"q": q, "age": 1}))
        rows.append(("bulk PATCH by q (3 match) -> JSON:API", n, "1 listing + 3 PATCH = 4"))
        functions = {"functions": [{"name": "sum", "field": "age"}, {"name": "avg", "field": "age"}]}
        n, _ = await _count(counted[0], lambda: r.client.get("/legacy/api/eval/person", params={"q": json.dumps(functions)}))
        rows.append(("/eval sum+avg (4 rows) -> JSON:API", n, "1 page"))
        count = {"functions": [{"name": "count", "field": "id"}]}
        n, _ = await _count(counted[0], lambda: r.client.get("/legacy/api/eval/person", params={"q": json.dumps(count)}))
        rows.append(("/eval count(id) -> JSON:API", n, "1 (the total of a 1-row page)"))
        n, _ = await _count(counted[0], lambda: r.client.delete("/legacy/api/person", params={"q": json.dumps(q)}))
        rows.append(("bulk DELETE by q (3 match) -> JSON:API", n, "1 listing + 3 DELETE = 4"))
    counted = []
    async with rig(f"sqlite+aiosqlite:///{tmp / 'b2.db'}", "jsonapi", "jsonapi", wrap=_wrapper(counted), options={"include": False}) as r:
        people = []
        for name in ("Ann", "Bob"):
            doc = {"data": {"type": "people", "attributes": {"name": name}}}
            made = await r.backend_client.post("/jsonapi/people", json=doc, headers=J)
            people.append(made.json()["data"]["id"])
        for i in range(4):
            rel = {"owner": {"data": {"type": "people", "id": people[i % 2]}}}
            doc = {"data": {"type": "computers", "attributes": {"name": f"c{i}"}, "relationships": rel}}
            await r.backend_client.post("/jsonapi/computers", json=doc, headers=J)
            doc = {"data": {"type": "articles", "attributes": {"title": f"t{i}"}, "relationships": {"author": rel["owner"]}}}
            await r.backend_client.post("/jsonapi/articles", json=doc, headers=J)
        n, _ = await _count(counted[0], lambda: r.client.get("/jsonapi/people", params={"include": "computers,articles"}, headers=J))
        rows.append(("GET 2 people include=computers,articles, no include", n, "1 + 1 per type (id in) = 3"))
    counted = []
    store = f"sqlite+aiosqlite:///{tmp / 'p3.db'}"
    backend_db = f"sqlite+aiosqlite:///{tmp / 'b3.db'}"
    async with rig(backend_db, "strapi", "restless", order="overlay", proxy_store=store, wrap=_wrapper(counted)) as r:
        await r.client.post("/strapi/api/restaurants", json={"data": {"name": "R"}})
        for n_ in ("a", "b", "c"):
            await r.client.post("/strapi/api/categories", json={"data": {"name": n_}})
        target = r.proxy.targets["backend"]
        owner = Ident("restaurants", "1")
        cat = [Ident("categories", str(i)) for i in (1, 2)]
        first = await _op_count(counted[0], target, Add(owner, "categories", (cat[0],)))
        rows.append(("connect on a list the overlay does not hold yet", first, "1 linkage read + 1 add = 2"))
        kept = await _op_count(counted[0], target, Add(owner, "categories", (cat[1],), Before(cat[0])))
        rows.append(("positional connect, overlay (kept list)", kept, "1 add (+2 overlay transactions)"))
        docs = (await r.client.get("/strapi/api/categories", params={"sort": "name"})).json()["data"]
        rdoc = (await r.client.get("/strapi/api/restaurants")).json()["data"][0]["documentId"]
        body = {"data": {"categories": {"connect": [{"documentId": docs[2]["documentId"], "position": {"after": docs[1]["documentId"]}}]}}}
        n, _ = await _count(counted[0], lambda: r.client.put(f"/strapi/api/restaurants/{rdoc}", json=body))
        rows.append(("Strapi PUT connect after (whole request)", n, "door's exists reads 2 + add 1 + answer 1 = 4"))
        ordered = await r.client.get(f"/strapi/api/restaurants/{rdoc}", params={"populate": "categories"})
        assert [x["name"] for x in ordered.json()["data"]["categories"]] == ["b", "c", "a"], ordered.text
    return rows


async def _op_count(counter: Counting, target: Any, op: Any) -> int:
    """Backend requests of one canonical op carried out by the remote target (no door around it)."""
    counter.log = []
    await target.execute(Batch((op,)))
    return len(counter.log)


# --- overlay latency at 10 vs 100,000 members ----------------------------------------------------


async def overlay_latency(tmp: Path, members: int, repeat: int) -> dict[int, list[float]]:
    store = f"sqlite+aiosqlite:///{tmp / 'p4.db'}"
    async with rig(f"sqlite+aiosqlite:///{tmp / 'b4.db'}", "strapi", "restless", order="overlay", proxy_store=store) as r:
        sizes = {1: 10, 2: members}
        total = sum(sizes.values()) + 2 * (repeat + 20)
        backend = r.backend.store
        tables = backend.tables
        schema = r.backend.config.schema
        rel = schema["restaurants"].relationships["categories"]
        join = tables.joins[rel.storage.table]
        async with backend.engine.begin() as conn:
            await conn.execute(sa.insert(tables.by_type["restaurants"]), [{"id": 1, "name": "small"}, {"id": 2, "name": "large"}])
            for start in range(0, total, 5000):
                chunk = [{"id": i, "name": f"c{i}"} for i in range(start + 1, min(total, start + 5000) + 1)]
                await conn.execute(sa.insert(tables.by_type["categories"]), chunk)
        overlay = r.proxy.targets["backend"].overlay
        next_id = 1
        plan: dict[int, tuple[list[int], list[int]]] = {}
        for owner, size in sizes.items():
            ids = list(range(next_id, next_id + size))
            next_id += size
            fresh = list(range(next_id, next_id + repeat + 20))
            next_id += repeat + 20
            plan[owner] = (ids, fresh)
            keys = generate_n_keys_between(None, None, size)
            async with backend.engine.begin() as conn:  # the backend's membership (and its own ranks)
                for start in range(0, size, 5000):
                    part = [{rel.storage.near: owner, rel.storage.far: i, rel.storage.rank: k}
                            for i, k in zip(ids[start:start + 5000], keys[start:start + 5000], strict=True)]  # fmt: skip
                    await conn.execute(sa.insert(join), part)
            async with overlay.engine.begin() as conn:  # the overlay's keys for it, as relgate would have kept them
                base = {"backend": "backend", "owner_type": "restaurants", "owner_id": str(owner), "relationship": "categories"}
                await conn.execute(sa.insert(overlay_lists), [{**base, "version": 1}])
                for start in range(0, size, 5000):
                    pairs = zip(ids[start : start + 5000], keys[start : start + 5000], strict=True)
                    part = [{**base, "member_id": str(i), "rank": k} for i, k in pairs]
                    await conn.execute(sa.insert(overlay_keys), part)
        target = r.proxy.targets["backend"]
        timings: dict[int, list[float]] = {size: [] for size in sizes.values()}
        for round_ in range(repeat + 20):  # interleaved, so load changes hit both alike; 20 warm-up rounds
            for owner, size in sizes.items():
                ids, fresh = plan[owner]
                anchor = ids[(round_ * 7919) % size]  # anchors all over the list
                member, before = Ident("categories", str(fresh[round_])), Before(Ident("categories", str(anchor)))
                op = Add(Ident("restaurants", str(owner)), "categories", (member,), before)
                started = time.perf_counter()
                await target.execute(Batch((op,)))
                elapsed = time.perf_counter() - started
                if round_ >= 20:
                    timings[size].append(elapsed)
        return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min), {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(requests_rows(Path(tmp)))
    print("\nbackend requests per caller request")
    for name, n, minimum in rows:
        print(f"  {name:<56} {n:>3}   (minimum: {minimum})")
    with tempfile.TemporaryDirectory() as tmp:
        timings = asyncio.run(overlay_latency(Path(tmp), args.members, args.repeat))
    (small, s), (large, big) = sorted(timings.items())
    p50 = (statistics.median(s) * 1000, statistics.median(big) * 1000)
    mean = (statistics.fmean(s) * 1000, statistics.fmean(big) * 1000)
    print(f"\npositional connect with the overlay ({args.repeat} each, interleaved)")
    print(f"  {small:>7} members: p50 {p50[0]:.2f} ms, mean {mean[0]:.2f} ms")
    print(f"  {large:>7} members: p50 {p50[1]:.2f} ms, mean {mean[1]:.2f} ms")
    print(f"  ratio {large} / {small}: p50 {p50[1] / p50[0]:.2f}, mean {mean[1] / mean[0]:.2f}   (goal: <= 1.5)")


if __name__ == "__main__":
    main()
