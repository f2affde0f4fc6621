"""HTTP throughput of relgate's store mode against the ASGI ceiling and a real flask-restless-ng, in one run.

Prints requests/s, p50 and p99 for every server and request, and the ratios issue 13 sets goals
for; asserts nothing.  Run by hand:

    .venv/bin/python tests/bench/bench_http.py [--seconds 10] [--connections 16] [--only ceiling,sqlite,...]

Servers (each started, loaded, stopped in turn; one at a time on the machine's cores):

- ``ceiling``: a Starlette app answering relgate's own answer bytes for the three requests
  (tests/bench/ceiling_app.py), under exactly the uvicorn options ``relgate serve`` uses;
- ``sqlite`` / ``postgresql``: ``relgate serve`` (example configuration) on a fresh SQLite file /
  a scratch PostgreSQL database; ``sqlite-2w``: the same with ``--workers 2``;
- ``ng`` / ``ng-2w``: the real flask-restless-ng app of examples/flask-restless-ng under gunicorn,
  one / two ``sync`` workers (gunicorn's default worker; ``--ng-worker-class gthread`` for the
  threaded one), when installed (``python tests/backends/install.py``).

Every server holds the same data: 100 people, each with 3 computers and 1 article.  Requests
(relgate's JSON:API front door; ng's own URLs for ng):

- ``get-one``: ``GET /jsonapi/people/1`` (ng: ``/api/person/1``);
- ``page-include``: ``GET /jsonapi/people?include=computers&page[size]=20`` (20 people, 60 included);
- ``rel-write``: ``POST /jsonapi/people/1/relationships/computers`` adding a computer person 1
  already has (idempotent: 204, the same work every time).

Load: ``wrk -t1 -c<connections> --latency`` when installed (``apt-get install wrk``), else a
bounded asyncio load generator (httpx, keep-alive connections).  Both count only answers with
the expected status; anything else aborts the run.  Quote the figures with ``uptime`` (the
machine is shared); the ratios of one run are what compares.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
J = "application/vnd.api+json"
PEOPLE, COMPUTERS_EACH = 100, 3


@dataclass(frozen=True)
class Request:
    name: str
    method: str
    path: str  # relgate's JSON:API path
    ng_path: str  # flask-restless-ng's
    status: int
    body: bytes | None = None
    ng_body: bytes | None = None


REQUESTS = (
    Request("get-one", "GET", "/jsonapi/people/1", "/api/person/1", 200),
    Request("page-include", "GET", "/jsonapi/people?include=computers&page[size]=20", "/api/person?include=computers&page[size]=20", 200),
    Request(
        "rel-write",
        "POST",
        "/jsonapi/people/1/relationships/computers",
        "/api/person/1/relationships/computers",
        204,
        b'{"data":[{"type":"computers","id":"1"}]}',
        b'{"data":[{"type":"computer","id":"1"}]}',
    ),
)


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    note: str = ""


# --- data ------------------------------------------------------------------------------------


def rows() -> dict[str, list[dict]]:
    people = [{"id": i, "name": f"person-{i}", "age": 20 + i % 50} for i in range(1, PEOPLE + 1)]
    computers = [
        {"id": (p - 1) * COMPUTERS_EACH + k + 1, "name": f"computer-{p}-{k}", "vendor": ("Dell", "Apple", "Lenovo")[k % 3], "owner_id": p}
        for p in range(1, PEOPLE + 1)
        for k in range(COMPUTERS_EACH)
    ]
    articles = [{"id": i, "title": f"article-{i}", "author_id": i} for i in range(1, PEOPLE + 1)]
    return {"people": people, "computers": computers, "articles": articles}


def seed_store(url: str) -> None:
    """The rows into relgate's tables (created by Store.open), and the PostgreSQL sequences past them."""
    import sqlalchemy as sa

    from relgate.config import load
    from relgate.store import Store

    async def run() -> None:
        store = Store.from_url(url, load(ROOT / "gateway.example.toml").schema)
        await store.open()
        try:
            async with store.engine.begin() as conn:
                for table, values in rows().items():
                    await conn.execute(sa.insert(store.tables.of(table)), values)
                if conn.dialect.name == "postgresql":
                    for table in rows():
                        advance = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                        await conn.execute(sa.text(advance))
            async with store.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(sa.text("ANALYZE"))
        finally:
            await store.close()

    asyncio.run(run())


def seed_ng(backend: object) -> None:
    data = rows()
    backend.seed("person", *data["people"])  # type: ignore[attr-defined]
    backend.seed("computer", *data["computers"])  # type: ignore[attr-defined]
    backend.seed("article", *data["articles"])  # type: ignore[attr-defined]


# --- servers ---------------------------------------------------------------------------------


def _started(proc: subprocess.Popen[str], pattern: str) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(pattern, line)
        if m:
            return m.group(1)
    raise SystemExit(f"server did not start (exit {proc.wait()})")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(url: str) -> None:
    for _ in range(600):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


@contextlib.contextmanager
def relgate(work: Path, store_url: str, workers: int, log_level: str) -> Iterator[str]:
    config = work / "gateway.toml"
    config.write_text((ROOT / "gateway.example.toml").read_text())
    cmd = [sys.executable, "-m", "relgate", "serve", "--config", str(config), "--store", store_url, "--port", "0"]
    cmd += ["--workers", str(workers), "--log-level", log_level]
    log = (work / f"relgate-{workers}.log").open("w")
    proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = _started(proc, r"listening on (http://\S+)")
        _wait_ready(url + "/healthz")
        yield url
    finally:
        _stop(proc)
        log.close()


@contextlib.contextmanager
def ceiling(work: Path, answers: dict[str, list], log_level: str) -> Iterator[str]:
    path = work / "answers.json"
    path.write_text(json.dumps(answers))
    cmd = [sys.executable, str(HERE / "ceiling_app.py"), str(path), "--log-level", log_level]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = _started(proc, r"listening on (http://\S+)")
        _wait_ready(url + "/")
        yield url
    finally:
        _stop(proc)


@contextlib.contextmanager
def ng(work: Path, workers: int, worker_class: str) -> Iterator[str]:
    sys.path.insert(0, str(ROOT))
    from tests.backends.python_backends import serve

    folder = work / f"ng-{workers}"
    folder.mkdir()
    threads = 1 if worker_class == "sync" else 4  # gunicorn turns sync with threads > 1 into gthread
    with serve("ng", folder, threads=threads, workers=workers, worker_class=worker_class) as backend:
        seed_ng(backend)
        yield backend.base


@contextlib.asynccontextmanager
async def pg_scratch():  # type: ignore[no-untyped-def]
    import asyncpg

    name = f"relgate_bench_http_{os.getpid()}"
    conn = await asyncpg.connect(host="127.0.0.1", user="postgres", database="test")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield f"postgresql://postgres@127.0.0.1/{name}"
    finally:
        c = await asyncpg.connect(host="127.0.0.1", user="postgres", database="test")
        await c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await c.close()


# --- load ------------------------------------------------------------------------------------


def headers(req: Request) -> dict[str, str]:
    h = {"Accept": J}
    if req.body is not None:
        h["Content-Type"] = J
    return h


def check(base: str, req: Request, path: str, body: bytes | None) -> httpx.Response:
    for attempt in range(3):
        try:
            r = httpx.request(req.method, base + path, content=body, headers=headers(req), timeout=30)
            break
        except httpx.TransportError as exc:  # a gunicorn sync worker resetting a connection right after a load run
            if attempt == 2:
                raise
            print(f"  ({req.method} {base}{path}: {exc!r}; retrying)", flush=True)
            time.sleep(0.5)
    if r.status_code != req.status:
        raise SystemExit(f"{req.method} {base}{path}: {r.status_code} (expected {req.status}) {r.text[:300]}")
    return r


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(url: str, req: Request, body: bytes | None, seconds: int, connections: int, work: Path) -> Figures:
    script = work / "wrk.lua"
    lines = [f'wrk.method = "{req.method}"']
    for k, v in headers(req).items():
        lines.append(f'wrk.headers["{k}"] = "{v}"')
    if body is not None:
        lines.append("wrk.body = '" + body.decode() + "'")
    # count the answers with another status than the expected one (wrk only reports non-2xx/3xx)
    lines.append(f"local wrong = 0\nresponse = function(status, headers, body) if status ~= {req.status} then wrong = wrong + 1 end end")
    lines.append('done = function(summary, latency, requests) io.write(string.format("WRONG %d\\n", wrong)) end')
    script.write_text("\n".join(lines) + "\n")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    wrong = int(re.search(r"WRONG (\d+)", out).group(1))  # type: ignore[union-attr]
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if wrong:
        raise SystemExit(f"{req.method} {url}: {wrong} answers were not {req.status}\n{out}")
    return Figures(rps, p50, p99, f"socket errors: {socket_errors.group(1)}" if socket_errors else "")


async def _asyncio_load(url: str, req: Request, body: bytes | None, seconds: int, connections: int) -> Figures:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                r = await client.request(req.method, url, content=body, headers=headers(req))
                latencies.append((time.perf_counter() - t) * 1000)
                if r.status_code != req.status:
                    raise SystemExit(f"{req.method} {url}: {r.status_code} {r.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return Figures(len(latencies) / elapsed, statistics.median(latencies), latencies[max(0, int(len(latencies) * 0.99) - 1)], "asyncio")


def measure(base: str, req: Request, ng_server: bool, args: argparse.Namespace, work: Path) -> Figures:
    path, body = (req.ng_path, req.ng_body) if ng_server else (req.path, req.body)
    for _ in range(50):  # warm-up: caches, pools, every worker
        check(base, req, path, body)
    if shutil.which("wrk"):
        return wrk(base + path, req, body, args.seconds, args.connections, work)
    return asyncio.run(_asyncio_load(base + path, req, body, args.seconds, args.connections))


# --- the run ---------------------------------------------------------------------------------


def run_server(label: str, base: str, ng_server: bool, args: argparse.Namespace, work: Path, results: dict) -> None:
    results[label] = {}
    for req in REQUESTS:
        f = measure(base, req, ng_server, args, work)
        results[label][req.name] = f
        print(f"  {label:<14} {req.name:<13} {f.rps:8.0f} req/s   p50 {f.p50_ms:7.2f} ms   p99 {f.p99_ms:8.2f} ms  {f.note}", flush=True)


def answers_of(base: str) -> dict[str, list]:
    """relgate's answers to the three requests, for the ceiling app to send back."""
    out = {}
    for req in REQUESTS:
        r = check(base, req, req.path, req.body)
        out[f"{req.method} {httpx.URL(base + req.path).raw_path.decode()}"] = [r.status_code, r.headers.get("content-type", ""), r.text]
    return out


def verify_page(base: str, ng_server: bool) -> None:
    """The collection request answers 20 people and their 60 computers (the same data everywhere)."""
    req = REQUESTS[1]
    page = check(base, req, req.ng_path if ng_server else req.path, None).json()
    if len(page["data"]) != 20 or len(page.get("included", ())) != 20 * COMPUTERS_EACH:
        raise SystemExit(f"{base}: the page has {len(page['data'])} people and {len(page.get('included', ()))} included, not 20 and 60")


def ratios(results: dict) -> None:
    def ratio(a: str, b: str, req: str) -> str:
        if a not in results or b not in results:
            return "   -  "
        return f"{results[a][req].rps / results[b][req].rps:6.3f}"

    print("\nratios of requests/s (issue 13 goals in brackets):")
    goals = {"get-one": "0.30", "page-include": "0.15", "rel-write": "0.25"}
    print(f"  {'request':<13} {'sqlite/ceil':>12} {'pg/ceil':>9} {'sqlite/ng':>10} {'pg/ng':>7} {'sqlite-2w/ng-2w':>16}")
    for req in (r.name for r in REQUESTS):
        print(
            f"  {req:<13} {ratio('sqlite', 'ceiling', req):>8} [{goals[req]}] {ratio('postgresql', 'ceiling', req):>8}"
            f" {ratio('sqlite', 'ng', req):>7} [2] {ratio('postgresql', 'ng', req):>7} {ratio('sqlite-2w', 'ng-2w', req):>10} [1.5]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", default="ceiling,sqlite,postgresql,ng,sqlite-2w,ng-2w")
    parser.add_argument("--log-level", default="info", help="relgate's and the ceiling's (default info: one access line per request)")
    parser.add_argument("--ng-worker-class", default="sync", choices=["sync", "gthread"])
    args = parser.parse_args()
    wanted = args.only.split(",")
    loader = "wrk" if shutil.which("wrk") else "asyncio load generator (wrk not installed)"
    print(f"load: {loader}, {args.connections} connections, {args.seconds} s per request; {os.cpu_count()} CPUs; {_uptime()}")
    results: dict[str, dict[str, Figures]] = {}
    with tempfile.TemporaryDirectory(prefix="relgate-bench-http-") as tmp:
        work = Path(tmp)
        sqlite_url = f"sqlite:///{work}/store.db"
        seed_store(sqlite_url)
        with relgate(work, sqlite_url, 1, args.log_level) as base:
            answers = answers_of(base)
            verify_page(base, False)
            if "ceiling" in wanted:
                with ceiling(work, answers, args.log_level) as cbase:
                    run_server("ceiling", cbase, False, args, work, results)
            if "sqlite" in wanted:
                run_server("sqlite", base, False, args, work, results)
        if "postgresql" in wanted:

            async def pg() -> None:
                async with pg_scratch() as url:
                    await asyncio.to_thread(seed_store, url)
                    with relgate(work, url, 1, args.log_level) as pbase:
                        await asyncio.to_thread(verify_page, pbase, False)
                        await asyncio.to_thread(run_server, "postgresql", pbase, False, args, work, results)

            try:
                asyncio.run(pg())
            except OSError as exc:
                print(f"  postgresql skipped: {exc}")
        for label, workers in (("ng", 1), ("ng-2w", 2)):
            if label not in wanted:
                continue
            try:
                with ng(work, workers, args.ng_worker_class) as ng_base:
                    verify_page(ng_base, True)
                    run_server(label, ng_base, True, args, work, results)
            except Exception as exc:  # not installed, would not start
                if type(exc).__name__ != "BackendError":
                    raise
                print(f"  {label} skipped: {exc}")
        if "sqlite-2w" in wanted:
            with relgate(work, sqlite_url, 2, args.log_level) as base2:
                run_server("sqlite-2w", base2, False, args, work, results)
    ratios(results)
    print(f"\n{_uptime()}")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
