"""Atomic Operations benchmark: one request of N operations vs the same N as single requests.

Run by hand (not part of CI's pass/fail)::

    .venv/bin/python tests/bench/bench_atomic.py                 # SQLite and PostgreSQL, N = 1,000
    .venv/bin/python tests/bench/bench_atomic.py --ops 200 --backends sqlite

Starts ``relgate serve`` (real uvicorn on 127.0.0.1, an ephemeral port) over a fresh store for
each backend, creates one person, and then times two ways of doing the same work over HTTP
with one keep-alive connection:

- *atomic*: ``POST /jsonapi/operations`` carrying N ``add`` operations (a computer each, linked
  to the person) — one transaction;
- *single*: N ``POST /jsonapi/computers`` requests with the same documents — N transactions.

It prints operations per second for both and the ratio atomic/single, and checks that both
runs left exactly N computers linked to their person (a figure, not an assertion on time).
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
JSONAPI = "application/vnd.api+json"
ATOMIC = 'application/vnd.api+json;ext="https://jsonapi.org/ext/atomic"'


def serve(store: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "relgate.cli", "serve", "--port", "0", "--log-level", "warning", "--store", store],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1)
            break
    else:
        raise SystemExit("relgate serve did not start")
    for _ in range(200):
        try:
            httpx.get(url + "/jsonapi/people", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("relgate serve did not answer")


def computer(person_id: str, tag: str, i: int) -> dict[str, object]:
    return {
        "type": "computers",
        "attributes": {"name": f"{tag}-{i}", "vendor": "bench"},
        "relationships": {"owner": {"data": {"type": "people", "id": person_id}}},
    }


def person(http: httpx.Client, name: str) -> str:
    r = http.post("/jsonapi/people", json={"data": {"type": "people", "attributes": {"name": name}}}, headers={"content-type": JSONAPI})
    r.raise_for_status()
    return r.json()["data"]["id"]


def linked(http: httpx.Client, person_id: str) -> int:
    r = http.get(f"/jsonapi/people/{person_id}/relationships/computers")
    r.raise_for_status()
    return len(r.json()["data"])


def run(url: str, n: int) -> tuple[float, float]:
    with httpx.Client(base_url=url, timeout=120, headers={"accept": JSONAPI}) as http:
        # Warm up the connection, the pool and the code paths.
        warm = person(http, "warm")
        http.post("/jsonapi/computers", json={"data": computer(warm, "warm", 0)}, headers={"content-type": JSONAPI}).raise_for_status()

        p_single = person(http, "single")
        t0 = time.perf_counter()
        for i in range(n):
            r = http.post("/jsonapi/computers", json={"data": computer(p_single, "single", i)}, headers={"content-type": JSONAPI})
            if r.status_code != 201:
                raise SystemExit(f"single request {i} failed: {r.status_code} {r.text[:200]}")
        single = time.perf_counter() - t0

        p_atomic = person(http, "atomic")
        doc = {"atomic:operations": [{"op": "add", "data": computer(p_atomic, "atomic", i)} for i in range(n)]}
        t0 = time.perf_counter()
        r = http.post("/jsonapi/operations", json=doc, headers={"content-type": ATOMIC, "accept": ATOMIC})
        atomic = time.perf_counter() - t0
        if r.status_code != 200 or len(r.json()["atomic:results"]) != n:
            raise SystemExit(f"atomic request failed: {r.status_code} {r.text[:300]}")
        counts = (linked(http, p_single), linked(http, p_atomic))
        if counts != (n, n):
            raise SystemExit(f"expected {n} computers on each person, found {counts}")
    return single, atomic


def report(backend: str, n: int, single: float, atomic: float) -> None:
    print(f"\n{backend}: {n:,} operations over HTTP (one keep-alive connection)")
    print(f"  single requests   {single:8.3f} s   {n / single:10,.0f} ops/s")
    print(f"  one atomic request{atomic:8.3f} s   {n / atomic:10,.0f} ops/s")
    print(f"  ratio atomic/single (ops/s): {single / atomic:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            cwd = Path(tmp)
            shutil.copy(ROOT / "gateway.example.toml", cwd / "gateway.example.toml")
            drop = None
            if backend == "sqlite":
                store = f"sqlite:///{cwd / 'bench.db'}"
            else:
                name = f"relgate_bench_{uuid.uuid4().hex[:8]}"
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc", f'CREATE DATABASE "{name}"'], check=True)
                store = f"postgresql://postgres@127.0.0.1/{name}"

                def drop(name: str = name) -> None:
                    subprocess.run(
                        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc", f'DROP DATABASE "{name}" WITH (FORCE)'],
                        check=False,
                    )

            proc, url = serve(store, cwd)
            try:
                single, atomic = run(url, args.ops)
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=20)
                if drop:
                    drop()
            report("SQLite (file, WAL)" if backend == "sqlite" else "PostgreSQL", args.ops, single, atomic)


if __name__ == "__main__":
    main()
