"""Strapi front door benchmark: a positional connect into an ordered relation of N members.

Run by hand (figures are printed, not asserted)::

    .venv/bin/python tests/bench/bench_strapi.py                 # SQLite and PostgreSQL, 10 vs 100,000 members
    .venv/bin/python tests/bench/bench_strapi.py --sizes 10,1000,100000 --reps 100 --backends sqlite

For each backend and size it fills ``restaurants.categories`` (ordered, fractional rank keys)
with that many members (bulk SQL, like ``bench_store.py``), then times whole requests through
the Gateway (ASGI in-process: Strapi codec, one store transaction, the answer):

- ``connect before``: ``PUT`` ``connect: [{documentId, position: {before: <member in the middle>}}]``, a new member;
- ``connect after (move)``: the same member moved ``after`` the middle one;
- ``connect start``: a new member at ``{start: true}``;
- ``forward anchor``: ``connect: [{a, before: b}, {b, after: <middle>}]`` with a and b new,
  the case resolved by ``relgate.ordering.placements`` against the current members;
- ``attribute change``: ``PUT {data: {name}}`` on the same restaurant (no relation touched).

It prints the median milliseconds per request and the ratio largest/smallest size; the goal
is a ratio of at most 1.5 (the cost must not grow with the relationship's size).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from relgate.app import Gateway  # noqa: E402
from relgate.config import load  # noqa: E402
from relgate.dialects.strapi import StrapiServer  # noqa: E402
from tests.bench.bench_store import fill, report, scratch_store, spare  # noqa: E402


async def timed(client: httpx.AsyncClient, requests: list[tuple[str, Any]]) -> float:
    samples = []
    for path, body in requests:
        t0 = time.perf_counter()
        r = await client.put(path, json=body)
        samples.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
    return statistics.median(samples) * 1000


async def bench_backend(url: str, sizes: list[int], reps: int) -> dict[int, dict[str, float]]:
    config = dataclasses.replace(load(ROOT / "gateway.example.toml"), store_url=url)
    out: dict[int, dict[str, float]] = {}
    async with Gateway(config) as gw:
        ids = next(d.dialect for d in gw.doors if isinstance(d.dialect, StrapiServer)).ids
        transport = httpx.ASGITransport(app=gw)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for size in sizes:
                rest, _person, (middle,) = await fill(gw.store, size)
                path = f"/strapi/api/restaurants/{ids.encode('restaurants', rest.id)}"
                mid = ids.encode("categories", middle.id)
                new = [ids.encode("categories", c.id) for c in await spare(gw.store, "categories", 4 * reps + 1)]
                await client.put(path, json={"data": {"categories": {"connect": [new.pop()]}}})  # warm up

                def connect(*items: dict[str, Any]) -> dict[str, Any]:
                    return {"data": {"categories": {"connect": list(items)}}}

                before = [new.pop() for _ in range(reps)]
                start = [new.pop() for _ in range(reps)]
                pairs = [(new.pop(), new.pop()) for _ in range(reps)]

                def at(docs: list[str], position: dict[str, Any], path: str = path) -> list[tuple[str, Any]]:
                    return [(path, connect({"documentId": d, "position": position})) for d in docs]

                row = {
                    "connect before": await timed(client, at(before, {"before": mid})),
                    "connect after (move)": await timed(client, at(before, {"after": mid})),
                    "connect start": await timed(client, at(start, {"start": True})),
                    "forward anchor": await timed(
                        client,
                        [
                            (path, connect({"documentId": a, "position": {"before": b}}, {"documentId": b, "position": {"after": mid}}))
                            for a, b in pairs
                        ],
                    ),
                    # An attribute change answers from one Get: no linkage of the 100,000 members is read.
                    "attribute change": await timed(client, [(path, {"data": {"name": f"r{i}"}}) for i in range(reps)]),
                }
                out[size] = row
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100000")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for backend in args.backends.split(","):
        async with scratch_store(backend) as (label, url):
            report(f"{label}, whole requests through the Gateway", await bench_backend(url, sizes, args.reps))


if __name__ == "__main__":
    asyncio.run(main())
