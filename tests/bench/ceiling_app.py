"""The ASGI ceiling of bench_http.py: a Starlette app answering fixed bytes, served as ``relgate serve`` serves.

    python tests/bench/ceiling_app.py ANSWERS.json [--workers N] [--log-level LEVEL]

``ANSWERS.json`` maps ``"METHOD path?query"`` to ``[status, content-type, body]`` (the answers
relgate gave to the same requests, so both write the same bytes).  The app reads each request's
body, then answers the fixed one; anything else is 404.  It runs through
:func:`relgate.serving.run` with the example configuration's ``[server]`` settings: the same
uvicorn options, protocol class, event loop and socket set-up as ``relgate serve``.  Prints
``listening on http://127.0.0.1:PORT`` once bound.
"""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[2]


def build(answers: dict[str, list]) -> Starlette:
    fixed = {key: (status, ctype, body.encode()) for key, (status, ctype, body) in answers.items()}

    async def answer(request: Request) -> Response:
        await request.body()
        query = request.url.query
        key = f"{request.method} {request.url.path}" + (f"?{query}" if query else "")
        found = fixed.get(key)
        if found is None:
            return Response(b"not found", 404)
        status, ctype, body = found
        return Response(body if status != 204 else None, status, media_type=ctype or None)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST", "PATCH", "DELETE"])])


def main() -> None:
    from relgate.config import load
    from relgate.serving import run

    parser = argparse.ArgumentParser()
    parser.add_argument("answers")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    config = load(ROOT / "gateway.example.toml")
    app = build(json.loads(Path(args.answers).read_text()))
    # as relgate.cli.serve binds it (TCP_NODELAY, see there)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    raise SystemExit(run(config, sock, app=app, log_level=args.log_level))


if __name__ == "__main__":
    main()
