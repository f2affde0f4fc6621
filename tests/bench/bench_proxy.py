"""Proxy overhead: the same requests sent to a backend directly and through relgate, in one run.

Prints p50/p99 latency and requests/s for each pair and the ratios (nothing is asserted).
Backends: relgate's own store serving flask-restless-ng's dialect and JSON:API (a real
`relgate serve`), and, when installed (``python tests/backends/install.py``), the real
flask-restless-ng app of examples/ under gunicorn. Cases:

- pass-through: a route whose dialect is the backend's streams untouched (goal: < 0.5 ms added at
  p50, >= 90% of direct throughput);
- translated: a JSON:API caller's relationship POST and a GET with include sent to a restless
  backend (goal: >= 70% of direct throughput);
- memory: 100 MiB uploaded and 100 MiB downloaded through a pass-through route; the proxy's RSS
  growth (goal: < 20 MB).

    .venv/bin/python tests/bench/bench_proxy.py [--requests 400] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "gateway.example.toml").read_text()
TYPES = EXAMPLE[EXAMPLE.index("[types.people]") :]
J = "application/vnd.api+json"


def serve(config: Path, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "relgate.cli", "serve", "--config", str(config), "--port", "0", "--log-level", "warning"],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            return proc, m.group(1)
    raise SystemExit("relgate serve did not start")


def uvicorn_app(target: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", target, "--port", str(port), "--log-level", "warning"], cwd=cwd, text=True
    )
    return proc, f"http://127.0.0.1:{port}"


def wait(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


Figures = tuple[float, float, float]


async def load(url: str, method: str, requests: int, concurrency: int, body: bytes | None, headers: dict[str, str]) -> Figures:
    """(p50 ms, p99 ms, requests/s) of ``requests`` sent over ``concurrency`` keep-alive connections."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for _ in range(min(50, requests)):  # warm-up
            await client.request(method, url, content=body, headers=headers)
        queue = list(range(requests))

        async def worker() -> None:
            while queue:
                queue.pop()
                t = time.perf_counter()
                r = await client.request(method, url, content=body, headers=headers)
                latencies.append((time.perf_counter() - t) * 1000)
                if r.status_code >= 400:
                    raise SystemExit(f"{method} {url}: {r.status_code} {r.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1], requests / elapsed


def row(name: str, direct: Figures, proxied: Figures) -> None:
    print(
        f"{name:<44} direct p50 {direct[0]:6.2f} p99 {direct[1]:6.2f} ms {direct[2]:7.0f} req/s | "
        f"relgate p50 {proxied[0]:6.2f} p99 {proxied[1]:6.2f} ms {proxied[2]:7.0f} req/s | "
        f"+{proxied[0] - direct[0]:5.2f} ms p50, throughput {proxied[2] / direct[2]:.2f}"
    )


async def stream_memory(proxy_url: str, pid: int) -> None:
    before = rss_kb(pid)

    async def upload() -> httpx.Response:
        async def chunks():
            block = b"y" * 65536
            for _ in range(100 * 16):
                yield block

        async with httpx.AsyncClient(timeout=120) as c:
            return await c.post(proxy_url + "/sink/sink", content=chunks())

    up = await upload()
    peak_up = rss_kb(pid)
    got = 0
    async with httpx.AsyncClient(timeout=120) as c, c.stream("GET", proxy_url + "/sink/blob?mb=100") as r:
        async for chunk in r.aiter_raw():
            got += len(chunk)
    after = rss_kb(pid)
    growth = (max(peak_up, after) - before) / 1024
    print(f"streamed 100 MiB up (backend counted {int(up.text) >> 20} MiB) and {got >> 20} MiB down through relgate: "
          f"RSS {before / 1024:.1f} -> {peak_up / 1024:.1f} -> {after / 1024:.1f} MB (growth {growth:.1f} MB)")


def ng_rows(work: Path, n: int, k: int) -> None:
    """The same pairs against a real flask-restless-ng under gunicorn (one sync-threaded worker), when installed."""
    sys.path.insert(0, str(ROOT))
    from tests.backends.python_backends import BackendError
    from tests.backends.python_backends import serve as serve_backend

    try:
        (work / "ng").mkdir()
        with serve_backend("ng", work / "ng", threads=4, workers=1) as ng:
            ng.seed_example()
            (work / "ngproxy.toml").write_text(f"""
[backends.ng]
dialect = "restless"
url = "{ng.url}"
policies = {{ "people.articles" = {{ allow_replace = true, allow_remove = true }} }}
[[routes]]
prefix = "/tr"
dialect = "jsonapi"
target = "ng"
[[routes]]
prefix = "/pt"
dialect = "restless"
target = "ng"
{TYPES}""")
            proxy, purl = serve(work / "ngproxy.toml", work)
            try:
                accept = {"accept": J}
                print(f"backend: flask-restless-ng 3.3.0 under gunicorn (1 worker, 4 threads) at {ng.url}")
                row("pass-through GET /person/1 (restless door)", asyncio.run(load(ng.url + "/person/1", "GET", n, k, None, accept)),
                    asyncio.run(load(purl + "/pt/person/1", "GET", n, k, None, accept)))  # fmt: skip
                row("translated GET /people/1?include=computers",
                    asyncio.run(load(ng.url + "/person/1?include=computers", "GET", n, k, None, accept)),
                    asyncio.run(load(purl + "/tr/people/1?include=computers", "GET", n, k, None, accept)))  # fmt: skip
                ng_rel = b'{"data":[{"type":"article","id":"1"}]}'
                rel = b'{"data":[{"type":"articles","id":"1"}]}'
                row("translated relationship POST (idempotent add)",
                    asyncio.run(load(ng.url + "/person/1/relationships/articles", "POST", n, k, ng_rel, {"content-type": J, "accept": J})),
                    asyncio.run(load(purl + "/tr/people/1/relationships/articles", "POST", n, k, rel, {"content-type": J})))  # fmt: skip
            finally:
                proxy.send_signal(signal.SIGINT)
                proxy.wait(timeout=10)
    except BackendError as exc:
        print(f"flask-restless-ng rows skipped: {exc}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        try:
            (work / "backend.toml").write_text(EXAMPLE.replace("sqlite+aiosqlite:///relgate.db", f"sqlite+aiosqlite:///{work}/b.db"))
            backend, burl = serve(work / "backend.toml", work)
            procs.append(backend)
            sink, surl = uvicorn_app("sink_app:app", Path(__file__).parent)
            procs.append(sink)
            wait(surl + "/blob?mb=0")
            (work / "proxy.toml").write_text(f"""
[backends.same]
dialect = "jsonapi"
url = "{burl}/jsonapi"
[backends.ng]
dialect = "restless"
url = "{burl}/restless/api"
policies = {{ "people.articles" = {{ allow_replace = true, allow_remove = true }} }}
[backends.sink]
dialect = "jsonapi"
url = "{surl}"
[[routes]]
prefix = "/pt"
dialect = "jsonapi"
target = "same"
[[routes]]
prefix = "/tr"
dialect = "jsonapi"
target = "ng"
[[routes]]
prefix = "/sink"
dialect = "jsonapi"
target = "sink"
{TYPES}""")
            proxy, purl = serve(work / "proxy.toml", work)
            procs.append(proxy)
            with httpx.Client(base_url=burl + "/jsonapi", headers={"content-type": J}) as c:
                c.post("/people", json={"data": {"type": "people", "attributes": {"name": "Ann"}}}).raise_for_status()
                c.post("/articles", json={"data": {"type": "articles", "attributes": {"title": "T"}}}).raise_for_status()
                for i in range(10):
                    c.post("/computers", json={"data": {"type": "computers", "attributes": {"name": f"c{i}"},
                           "relationships": {"owner": {"data": {"type": "people", "id": "1"}}}}}).raise_for_status()  # fmt: skip
            n, k = args.requests, args.concurrency
            accept = {"accept": J}
            rel = b'{"data":[{"type":"articles","id":"1"}]}'
            ng_rel = b'{"data":[{"type":"article","id":"1"}]}'
            print(f"{n} requests over {k} connections each; backend: relgate store (SQLite) via `relgate serve`")
            row("pass-through GET /people/1", asyncio.run(load(burl + "/jsonapi/people/1", "GET", n, k, None, accept)),
                asyncio.run(load(purl + "/pt/people/1", "GET", n, k, None, accept)))  # fmt: skip
            row("translated GET /people/1?include=computers",
                asyncio.run(load(burl + "/restless/api/person/1?include=computers", "GET", n, k, None, accept)),
                asyncio.run(load(purl + "/tr/people/1?include=computers", "GET", n, k, None, accept)))  # fmt: skip
            row("translated relationship POST (idempotent add)",
                asyncio.run(load(burl + "/restless/api/person/1/relationships/articles", "POST", n, k, ng_rel, {"content-type": J})),
                asyncio.run(load(purl + "/tr/people/1/relationships/articles", "POST", n, k, rel, {"content-type": J})))  # fmt: skip
            asyncio.run(stream_memory(purl, proxy.pid))
            ng_rows(work, n, k)
        finally:
            for p in procs:
                p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
