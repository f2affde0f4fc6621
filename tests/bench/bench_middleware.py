"""Middleware mode's cost, in one run: the examples of examples/middleware-* with and without relgate.

Prints requests per CPU-second of this process for each pair and their ratio — CPU time, so
that other programs' load on a shared machine falls out (wall-clock requests/s beside it) —
and asserts nothing.  Each app is called in this
process by a minimal driver (a bare ASGI ``scope``/``receive``/``send``, or a WSGI ``environ`` and
``start_response``) — no HTTP parsing or sockets, which would hide the difference; the two sides
of a pair run in alternating batches (the machine's load falls on both alike).

- outside the doors: a request the middleware does not handle, against the bare app (goal: the
  wrapped app keeps >= 95% of the bare app's throughput).  The Starlette bookshop's ``/health``
  (almost no work in the app: the worst case) and ``GET /api/books/1``; flask-restless-ng's
  ``GET /api/person/1`` through ``relgate.wsgi`` (WSGI) and through a2wsgi under the ASGI
  middleware.
- translated: a request in another dialect against the same request sent to the app directly in
  its own dialect: a Strapi ``GET …/books/<doc>?populate=author`` vs the bookshop's ``GET
  /api/books/1?include=author``; a JSON:API ``GET /jsonapi/person/1?include=articles`` and a
  relationship ``POST`` vs NG's own.

    .venv/bin/python tests/bench/bench_middleware.py [--requests 3000] [--batch 50]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from a2wsgi import WSGIMiddleware  # noqa: E402

from relgate.dialects.strapi.docids import DocumentIds  # noqa: E402
from tests.examples.examples_support import load_example  # noqa: E402

J = "application/vnd.api+json"
Request = tuple[str, str, str, dict[str, str], bytes]  # method, path, query, headers, body


def asgi_driver(app: Any) -> Callable[[Request], Awaitable[int]]:
    """One request at a time into an ASGI app, the way a server hands it over; returns the status."""

    async def call(request: Request) -> int:
        method, path, query, headers, body = request
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"bench.test"), *((k.encode(), v.encode()) for k, v in headers.items())],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
        }  # fmt: skip
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # a client that stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return call


def wsgi_driver(app: Any) -> Callable[[Request], Awaitable[int]]:
    """One request at a time into a WSGI app, the way a WSGI server calls it; returns the status."""

    async def call(request: Request) -> int:
        method, path, query, headers, body = request
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
            "SERVER_NAME": "bench.test", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "bench.test", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
            "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
        }  # fmt: skip
        for k, v in headers.items():
            key = k.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else "HTTP_" + key] = v
        got: list[str] = []
        out = app(environ, lambda status, _headers, _exc=None: got.append(status))
        try:
            for _ in out:
                pass
        finally:
            getattr(out, "close", lambda: None)()
        return int(got[0].split()[0])

    return call


async def timed(call: Callable[[Request], Awaitable[int]], request: Request, n: int) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) for ``n`` requests one after another (non-2xx stops the run)."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        status = await call(request)
        if not 200 <= status < 300:
            raise SystemExit(f"{request[0]} {request[1]}?{request[2]}: {status}")
    return time.process_time() - cpu, time.perf_counter() - wall


async def pair(name: str, a: tuple[str, Callable[..., Any], Request], b: tuple[str, Callable[..., Any], Request], args: Any) -> None:
    """Both sides in alternating batches of ``--batch`` (so the machine's load falls on both alike)."""
    for side in (a, b):  # warm-up (relgate opens its targets on the first request)
        await timed(side[1], side[2], 20)
    cpu = {a[0]: 0.0, b[0]: 0.0}
    wall = {a[0]: 0.0, b[0]: 0.0}
    done = 0
    while done < args.requests:
        n = min(args.batch, args.requests - done)
        for label, call, request in (a, b) if done // args.batch % 2 == 0 else (b, a):
            c, w = await timed(call, request, n)
            cpu[label] += c
            wall[label] += w
        done += n
    ca, cb = args.requests / cpu[a[0]], args.requests / cpu[b[0]]
    wa, wb = args.requests / wall[a[0]], args.requests / wall[b[0]]
    print(
        f"{name:<58} {a[0]:>7} {ca:6.0f} | {b[0]:>7} {cb:6.0f} req/CPU-s: {cb / ca:.3f} (wall {wa:6.0f} | {wb:6.0f} req/s: {wb / wa:.3f})",
        flush=True,
    )


async def main(args: Any) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-mw-"))
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min), {os.cpu_count()} cores; "
          f"{args.requests} requests per side, alternating batches of {args.batch}")  # fmt: skip

    # --- the Starlette bookshop (its own JSON:API) and its Strapi door ----------------------------
    starlette_ex = load_example("middleware-starlette")
    bookshop = load_example("middleware-starlette", "bookshop")
    db = work / "bookshop.db"
    wrapped = starlette_ex.create(str(db))
    bare = bookshop.create_app(f"sqlite:///{db}")
    direct, through = asgi_driver(bare), asgi_driver(wrapped)
    author = {"data": {"type": "authors", "attributes": {"name": "Le Guin"}}}
    book = {
        "data": {
            "type": "books",
            "attributes": {"title": "Earthsea"},
            "relationships": {"author": {"data": {"type": "authors", "id": "1"}}},
        }
    }
    for path, doc in (("/api/authors", author), ("/api/books", book)):
        await direct(("POST", path, "", {"content-type": J}, json.dumps(doc).encode()))
    print("outside the doors (goal: ratio >= 0.95)")
    health: Request = ("GET", "/health", "", {}, b"")
    one: Request = ("GET", "/api/books/1", "", {"accept": J}, b"")
    await pair("bookshop GET /health (ASGI, add_middleware)", ("bare", direct, health), ("wrapped", through, health), args)
    await pair("bookshop GET /api/books/1 (ASGI, add_middleware)", ("bare", direct, one), ("wrapped", through, one), args)

    ng_ex = load_example("middleware-flask-ng")
    flask_app = ng_ex.flask_app(str(work / "ng.db"))
    ng_direct = wsgi_driver(flask_app)
    for t, attributes in (("person", {"name": "Ann"}), ("article", {"title": "T"})):
        doc = json.dumps({"data": {"type": t, "attributes": attributes}}).encode()
        await ng_direct(("POST", f"/api/{t}", "", {"content-type": J, "accept": J}, doc))
    person: Request = ("GET", "/api/person/1", "", {"accept": J}, b"")
    ng_wsgi = wsgi_driver(ng_ex.with_doors_wsgi(flask_app))
    await pair("flask-restless-ng GET /api/person/1 (WSGI, relgate.wsgi)", ("bare", ng_direct, person), ("wrapped", ng_wsgi, person), args)
    ng_asgi_bare = asgi_driver(WSGIMiddleware(flask_app))  # type: ignore[arg-type]
    ng_asgi = asgi_driver(ng_ex.with_doors_asgi(flask_app))
    await pair("flask-restless-ng GET /api/person/1 (ASGI over a2wsgi)", ("bare", ng_asgi_bare, person), ("wrapped", ng_asgi, person), args)

    print("translated vs the same request in the app's own dialect")
    strapi_doc = DocumentIds(starlette_ex.relgate_config().schema.types).encode("books", "1")
    strapi: Request = ("GET", f"/strapi/api/books/{strapi_doc}", "populate=author", {}, b"")
    own: Request = ("GET", "/api/books/1", "include=author", {"accept": J}, b"")
    await pair("Strapi GET book populate=author vs bookshop include=author", ("direct", direct, own), ("strapi", through, strapi), args)
    jsonapi: Request = ("GET", "/jsonapi/person/1", "include=articles", {}, b"")
    own_ng: Request = ("GET", "/api/person/1", "include=articles", {"accept": J}, b"")
    await pair(
        "JSON:API GET person include=articles vs NG's own (WSGI)", ("direct", ng_direct, own_ng), ("jsonapi", ng_wsgi, jsonapi), args
    )
    link = b'{"data":[{"type":"article","id":"1"}]}'
    add: Request = ("POST", "/jsonapi/person/1/relationships/articles", "", {"content-type": J}, link)
    own_add: Request = ("POST", "/api/person/1/relationships/articles", "", {"content-type": J, "accept": J}, link)
    await pair("JSON:API POST relationships/articles vs NG's own (WSGI)", ("direct", ng_direct, own_add), ("jsonapi", ng_wsgi, add), args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per side")
    parser.add_argument("--batch", type=int, default=50, help="requests per side before switching sides")
    asyncio.run(main(parser.parse_args()))
