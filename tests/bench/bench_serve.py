"""Operating figures of ``relgate serve``: start-up to the first answer, memory at rest, workers' throughput.

Prints figures with baselines measured in the same run; asserts nothing.  Run by hand:

    .venv/bin/python tests/bench/bench_serve.py [--seconds 10] [--connections 16]

- start-up: from spawning ``python -m relgate serve`` (example config, fresh SQLite file) to the
  first 200 from ``/healthz``; baseline: a bare ``python -c pass`` in the same interpreter.
- memory: resident set size after start-up and a few requests (parent and workers added up);
  baseline: an idle bare interpreter.
- throughput: ``wrk`` (``apt-get install wrk``) on one GET (``/jsonapi/people/1``) against 1, 2
  and 4 workers, as ratios to 1 worker.  On a machine with N cores expect no gain past N workers
  (wrk takes a core as well).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
JSONAPI = "application/vnd.api+json"


def spawn(cwd: Path, *args: str) -> tuple[subprocess.Popen[str], str, float]:
    """Start relgate serve; its process, URL and the seconds from spawn to the first /healthz 200."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "relgate", "serve", "--port", "0", "--log-level", "warning", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    url = None
    for line in proc.stdout:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1)
            break
    assert url, "relgate did not start"
    with httpx.Client(timeout=1) as http:
        while True:
            try:
                if http.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.002)
    return proc, url, time.perf_counter() - started


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (Linux /proc)."""
    total = 0
    text = Path(f"/proc/{pid}/status").read_text()
    total += int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        total += sum(rss_kib(int(c)) for c in children)
    return total


def fresh_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="relgate-bench-"))
    shutil.copy(ROOT / "gateway.example.toml", d / "gateway.toml")
    return d


def startup(runs: int) -> None:
    bare = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
    times, memory = [], []
    for _ in range(runs):
        d = fresh_dir()
        proc, url, took = spawn(d)
        with httpx.Client(base_url=url, timeout=10) as http:
            for _ in range(20):
                http.get("/jsonapi/people", headers={"Accept": JSONAPI})
        time.sleep(0.5)
        memory.append(rss_kib(proc.pid))
        stop(proc)
        shutil.rmtree(d, ignore_errors=True)
        times.append(took)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    time.sleep(0.5)
    bare_rss = rss_kib(idle.pid)
    idle.kill()
    idle.wait()
    b, s = statistics.median(bare), statistics.median(times)
    print(f"start-up to the first /healthz answer: {s * 1000:.0f} ms median of {runs} (bare interpreter {b * 1000:.0f} ms: {s / b:.1f}x)")
    m = statistics.median(memory)
    print(f"memory at rest (RSS, 1 process): {m / 1024:.1f} MiB median (bare interpreter {bare_rss / 1024:.1f} MiB: {m / bare_rss:.1f}x)")


def throughput(worker_counts: list[int], seconds: int, connections: int) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        print("throughput: skipped, wrk is not installed (apt-get install wrk)")
        return
    results: dict[int, float] = {}
    for workers in worker_counts:
        d = fresh_dir()
        proc, url, took = spawn(d, "--workers", str(workers))
        try:
            with httpx.Client(base_url=url, timeout=10) as http:
                body = {"data": {"type": "people", "attributes": {"name": "Ann", "age": 33}}}
                r = http.post("/jsonapi/people", json=body, headers={"Content-Type": JSONAPI})
                assert r.status_code == 201, r.text
                for _ in range(workers * 20):  # warm every worker
                    http.get("/jsonapi/people/1", headers={"Connection": "close"})
            time.sleep(0.5)
            rss = rss_kib(proc.pid)
            command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-H", f"Accept: {JSONAPI}", url + "/jsonapi/people/1"]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            socket_errors = re.search(r"Socket errors: (.*)", out)
            results[workers] = rps
            base = results[worker_counts[0]]
            print(
                f"  {workers} worker(s): {rps:8.0f} req/s  ({rps / base:.2f}x of {worker_counts[0]})"
                f"  RSS {rss / 1024:.0f} MiB  start-up {took * 1000:.0f} ms" + (f"  NON-2xx {errors.group(1)}" if errors else "")
                + (f"  socket errors: {socket_errors.group(1)}" if socket_errors else "")
            )
        finally:
            stop(proc)
            shutil.rmtree(d, ignore_errors=True)
    print(f"  command: {' '.join(command[:-1])} <url>/jsonapi/people/1 ; {os.cpu_count()} CPU(s)")


def observer_overhead(requests: int) -> None:
    """The observer's own cost per request: around a trivial ASGI app, called directly (no HTTP, no store)."""
    import asyncio
    import io
    import logging

    from relgate.config import ServerConfig
    from relgate.logs import RequestIdFilter, json_formatter
    from relgate.metrics import DoorMetrics
    from relgate.observe import Observer

    door = DoorMetrics("/bench", "jsonapi", "store")

    async def app(scope: dict, receive: object, send: object) -> None:
        from relgate import context

        ctx = context.current()
        if ctx is not None:
            ctx.door = door
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        pass

    scope = {"type": "http", "method": "GET", "path": "/bench/people/1", "query_string": b"page[size]=2", "headers": []}
    scope["client"] = ("127.0.0.1", 1)
    observed = Observer(app, ServerConfig(), {})
    access = logging.getLogger("relgate.access")
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())

    async def per_request(target: object) -> float:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(requests):
                await target(scope, receive, send)  # type: ignore[operator]
            best = min(best, (time.perf_counter() - t) / requests)
        return best

    async def run() -> None:
        bare = await per_request(app)
        quiet = await per_request(observed)
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        try:
            logged = await per_request(observed)
        finally:
            access.removeHandler(handler)
            access.setLevel(logging.NOTSET)
        print(f"observer cost per request (around a trivial ASGI app, best of 3 x {requests}):")
        print(f"  bare app: {bare * 1e6:6.1f} µs")
        print(f"  observer, log line off (--log-level warning): {quiet * 1e6:6.1f} µs  (+{(quiet - bare) * 1e6:.1f} µs)")
        print(f"  observer with the JSON line (default level):  {logged * 1e6:6.1f} µs  (+{(logged - bare) * 1e6:.1f} µs)")

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    startup(args.runs)
    observer_overhead(20000)
    print(f"throughput of GET /jsonapi/people/1 (SQLite, wrk, {args.connections} connections, {args.seconds} s):")
    throughput([int(w) for w in args.workers.split(",")], args.seconds, args.connections)


if __name__ == "__main__":
    main()
